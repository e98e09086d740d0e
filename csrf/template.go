// template.go holds what pages use to carry the token: Token, the HTML
// helpers and the template.FuncMap.

package csrf

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// Token returns a fresh masked token for r's client: each call returns a
// different string (a new one-time-pad mask, against BREACH) and all of
// them verify until the secret is rotated. Rendering a token makes the
// response carry Vary: Cookie and, when the client has no valid csrf cookie
// yet or its cookie was signed with one of Config.PreviousKeys, the
// Set-Cookie.
//
// Token returns "" when r did not pass through a Full-mode Protector, on a
// rejected request whose client has no secret, and when the secret store
// fails.
func Token(r *http.Request) string {
	st := fromContext(r)
	if st == nil || st.p.mode != Full {
		return ""
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.ensureSecret() {
		return ""
	}
	st.rendered = true
	return maskToken(&st.secret)
}

// FormToken returns a token for one form: with Config.PerFormTokens it is
// bound to method and the path of action (resolved against the request URL
// the Protector saw; "" means that URL's own path), and is accepted only on a request with that method
// and path. Without PerFormTokens it is Token(r).
func FormToken(r *http.Request, method, action string) string {
	st := fromContext(r)
	if st == nil || st.p.mode != Full {
		return ""
	}
	if !st.p.perForm {
		return Token(r)
	}
	// The browser resolves the action against the page's URL, which is
	// the URL the Protector saw (a handler may see a rewritten one, as
	// behind http.StripPrefix), and the Protector checks that path.
	base := st.req.URL
	path := base.Path
	if action != "" {
		u, err := url.Parse(action)
		if err != nil {
			return ""
		}
		path = base.ResolveReference(u).Path
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.ensureSecret() {
		return ""
	}
	st.rendered = true
	var fs [secretLen]byte
	formSecret(&fs, &st.secret, strings.ToUpper(method), path)
	return maskToken(&fs)
}

// TemplateField returns the hidden input carrying Token(r), for a form:
//
//	<input type="hidden" name="csrf_token" value="...">
//
// It returns "" when Token(r) does.
func TemplateField(r *http.Request) template.HTML {
	return field(r, Token(r))
}

// FormField is TemplateField for FormToken(r, method, action).
func FormField(r *http.Request, method, action string) template.HTML {
	return field(r, FormToken(r, method, action))
}

func field(r *http.Request, tok string) template.HTML {
	if tok == "" {
		return ""
	}
	// The field name is restricted to [A-Za-z0-9_.-] by New and the token
	// is base64url, so neither needs escaping.
	return template.HTML(`<input type="hidden" name="` + fromContext(r).p.fieldName + `" value="` + tok + `">`)
}

// MetaTag returns a meta element carrying Token(r), for scripts:
//
//	<meta name="csrf-token" content="...">
//
// See the package documentation for the fetch and htmx snippets.
func MetaTag(r *http.Request) template.HTML {
	tok := Token(r)
	if tok == "" {
		return ""
	}
	return template.HTML(`<meta name="csrf-token" content="` + tok + `">`)
}

// HXHeaders returns an hx-headers attribute that makes htmx send the token
// header with every request from the element and its descendants:
//
//	<body {{csrfHxHeaders .Request}}> → <body hx-headers='{"X-CSRF-Token":"..."}'>
func HXHeaders(r *http.Request) template.HTMLAttr {
	tok := Token(r)
	if tok == "" {
		return ""
	}
	return template.HTMLAttr(`hx-headers='{"` + fromContext(r).p.headerLabel + `":"` + tok + `"}'`)
}

// FuncMap returns template functions, each taking the *http.Request:
//
//	csrfField     TemplateField   {{ csrfField .Request }}
//	csrfToken     Token           {{ csrfToken .Request }}
//	csrfMeta      MetaTag         {{ csrfMeta .Request }}
//	csrfFormField FormField       {{ csrfFormField .Request "POST" "/items" }}
//	csrfHxHeaders HXHeaders       <body {{ csrfHxHeaders .Request }}>
func FuncMap() template.FuncMap {
	return template.FuncMap{
		"csrfField":     TemplateField,
		"csrfToken":     Token,
		"csrfMeta":      MetaTag,
		"csrfFormField": FormField,
		"csrfHxHeaders": HXHeaders,
	}
}

// Rotate gives r's client a new secret now (call it at login, logout and
// privilege changes, before writing the response): tokens rendered before
// stop working, and later Token(r) calls in this request use the new
// secret. In cookie mode the new signed cookie is sent with this response;
// with Config.Secrets the secret is saved with SaveSecret.
//
// It returns ErrNoProtector when r did not pass through a Full-mode
// Protector and ErrHeadersWritten when the response has already started.
func Rotate(w http.ResponseWriter, r *http.Request) error {
	st := fromContext(r)
	if st == nil || st.p.mode != Full {
		return ErrNoProtector
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.headerDone || st.rejected {
		return ErrHeadersWritten
	}
	newSecret(&st.secret)
	st.haveSecret = false
	if st.p.secrets != nil {
		if err := st.p.secrets.SaveSecret(w, st.req, append([]byte(nil), st.secret[:]...)); err != nil {
			return err
		}
	} else {
		st.issueCookie = true
		st.rotated = true
	}
	st.haveSecret = true
	st.noSecret = nil
	st.storeFailed = false
	return nil
}
