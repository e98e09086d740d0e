// Command form is a small server showing Bulwark's csrf package: a
// protected HTML form rendered with html/template, and a page that sends
// the token from fetch and htmx. It runs over plain HTTP on localhost out of
// the box:
//
//	go run ./examples/form        # then open http://localhost:8000
//
// Flags: -addr (default localhost:8000), -debug (the 403 page explains
// why; on by default here, never in production).
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/bulwark-go/bulwark/csrf"
)

var pages = template.Must(template.New("").Funcs(csrf.FuncMap()).Parse(`
{{define "layout"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bulwark csrf example</title>
{{csrfMeta .Request}}
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
input,button{font:inherit}code{background:#eee;padding:0 .2em}</style></head>
<body>
<main {{csrfHxHeaders .Request}}>
<nav><a href="/">Form</a> · <a href="/fetch">fetch &amp; htmx</a></nav>
{{template "content" .}}
</main>
</body></html>{{end}}

{{define "form"}}{{template "layout" .}}{{end}}
{{define "content"}}{{if eq .Page "form"}}
<h1>A protected form</h1>
<p>The form carries a hidden <code>csrf_token</code>; the browser holds the signed <code>csrf</code> cookie.
Remove the field with the developer tools, or post from another origin, and the server answers 403.</p>
<form method="post" action="/notes">
  {{csrfField .Request}}
  <label>Note <input name="note" required maxlength="200"></label>
  <button>Save</button>
</form>
<h2>Notes</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{else}}<li><em>none yet</em></li>{{end}}</ul>
<form method="post" action="/rotate">{{csrfField .Request}}<button>Rotate the secret (as at login)</button></form>
{{else}}
<h1>fetch and htmx</h1>
<p>The page's <code>&lt;meta name="csrf-token"&gt;</code> carries a token; scripts send it in the
<code>X-CSRF-Token</code> header. The JSON body is never parsed by the csrf layer.</p>
<button id="fetch">POST /api/notes with fetch</button>
<pre id="out"></pre>
<p>With htmx, <code>&lt;main {{"{{"}}csrfHxHeaders .Request{{"}}"}}&gt;</code> renders
<code>hx-headers</code> and <code>hx-headers:inherited</code> (htmx 2 and 4), and every hx-post inside
<code>&lt;main&gt;</code> sends the header. It sits inside the body, not on it, so a boosted login replaces
it with a fresh token.</p>
<script>
document.getElementById("fetch").addEventListener("click", async () => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const res = await fetch("/api/notes", {
    method: "POST",
    headers: {"X-CSRF-Token": token, "Content-Type": "application/json"},
    body: JSON.stringify({note: "from fetch at " + new Date().toISOString()}),
  });
  document.getElementById("out").textContent = res.status + " " + await res.text();
});
</script>
{{end}}{{end}}
`))

type notes struct {
	mu   sync.Mutex
	list []string
}

func (n *notes) add(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.list) >= 50 {
		n.list = n.list[1:]
	}
	n.list = append(n.list, s)
}

func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.list...)
}

func main() {
	addr := flag.String("addr", "localhost:8000", "listen address")
	debug := flag.Bool("debug", true, "explain rejections on the 403 page (development only)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, err := newHandler(logger, *debug)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("listening", "url", "http://"+*addr)
	log.Fatal(srv.ListenAndServe())
}

// newHandler wires the example app behind a csrf.Protector.
func newHandler(logger *slog.Logger, debug bool) (http.Handler, error) {
	key := make([]byte, 32) // a real app loads a fixed key from its secret storage
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	p, err := csrf.New(csrf.Config{Key: key, Debug: debug, Logger: logger})
	if err != nil {
		return nil, err
	}

	var store notes
	render := func(w http.ResponseWriter, r *http.Request, page string) {
		data := map[string]any{"Request": r, "Page": page, "Notes": store.all()}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pages.ExecuteTemplate(w, "form", data); err != nil {
			logger.Error("render", "error", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { render(w, r, "form") })
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) { render(w, r, "fetch") })
	mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		if note := r.PostFormValue("note"); note != "" && len(note) <= 200 {
			store.add(note)
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /rotate", func(w http.ResponseWriter, r *http.Request) {
		if err := csrf.Rotate(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /api/notes", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Note string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&in); err != nil || in.Note == "" {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		store.add(in.Note)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"saved": in.Note})
	})

	return p.Handler(mux), nil
}
