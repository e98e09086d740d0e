package csrfbench

import (
	"net/http"

	filippo "filippo.io/csrf"
	gorilla "github.com/gorilla/csrf"
	"github.com/justinas/nosurf"
)

// benchKey is a fixed 32-byte key for the libraries that sign cookies.
var benchKey = []byte("bulwark-bench-key-0123456789abcd")

// Bare is the unprotected app: the baseline every overhead is measured from.
func Bare() Lib {
	return Lib{Name: "bare", Baseline: true, Wrap: func(h http.Handler) http.Handler { return h }}
}

// CrossOriginProtection is net/http's tokenless protection (Go 1.25+).
func CrossOriginProtection() Lib {
	cop := http.NewCrossOriginProtection()
	return Lib{Name: "stdlib-cop", Wrap: cop.Handler, NoSetCookieOnReject: true}
}

// Filippo is filippo.io/csrf, CrossOriginProtection's backport (tokenless).
func Filippo() Lib {
	p := filippo.New()
	return Lib{Name: "filippo", Wrap: p.Handler, NoSetCookieOnReject: true}
}

// Gorilla is github.com/gorilla/csrf with its defaults (Secure cookie,
// HTTPS assumed).
func Gorilla() Lib {
	return Lib{
		Name:                 "gorilla",
		Wrap:                 gorilla.Protect(benchKey),
		Token:                gorilla.Token,
		Field:                "gorilla.csrf.Token",
		NoSetCookieOnRevisit: true,
	}
}

// Nosurf is github.com/justinas/nosurf with its defaults.
func Nosurf() Lib {
	return Lib{
		Name: "nosurf",
		Wrap: func(h http.Handler) http.Handler {
			return nosurf.New(h)
		},
		Token:                nosurf.Token,
		Field:                nosurf.FormFieldName,
		NoSetCookieOnRevisit: true,
	}
}
