// This file holds the attacker site: an index that explains each attack and
// one page per attack against the victim app.

package demo

import (
	"html/template"
	"net/http"
)

// Attack describes one page of the attacker site.
type Attack struct {
	// ID tags the attack's request to the victim ("?attack=ID").
	ID string
	// Path is the attacker page's path.
	Path string
	// Title names the attack in a few words.
	Title string
	// Method and Target are the request the page makes to the victim.
	Method, Target string
	// Explain says in plain words what the page does and what should happen.
	Explain string
}

// Attacks lists the attacker pages, in the order the index shows them.
var Attacks = []Attack{
	{
		ID: "a", Path: "/img-logout", Title: "An image that logs you out",
		Method: http.MethodGet, Target: "/logout",
		Explain: "The page holds <img src=\"…/logout\">. Your browser fetches it as if it were a picture. " +
			"If logging out were a GET, merely looking at this page would log you out. " +
			"Bulwark's logout only accepts POST, so the GET gets a 405 and you stay logged in.",
	},
	{
		ID: "b", Path: "/form-logout", Title: "A hidden form that posts to /logout",
		Method: http.MethodPost, Target: "/logout",
		Explain: "The page holds an invisible form that submits itself to the demo's /logout. " +
			"A POST alone is not protection: the browser may send your cookie with it. " +
			"The CSRF check refuses it because it comes from another site and carries no valid token.",
	},
	{
		ID: "c", Path: "/form-note", Title: "A hidden form that saves a note",
		Method: http.MethodPost, Target: "/notes",
		Explain: "The page submits a form with body=\"pwned\" to the demo's /notes, as if you had written it. " +
			"The CSRF check refuses it: wrong origin, no token.",
	},
	{
		ID: "d", Path: "/fetch-note", Title: "A script that posts JSON to /api/notes",
		Method: http.MethodPost, Target: "/api/notes",
		Explain: "The page's script calls fetch(…/api/notes, {method: \"POST\", credentials: \"include\", mode: \"no-cors\"}). " +
			"It cannot read the answer, but it does not need to: the damage would be done on arrival. " +
			"The CSRF check refuses it (Sec-Fetch-Site: cross-site, no X-CSRF-Token header).",
	},
	{
		ID: "e", Path: "/nav-logout", Title: "A link that takes you to /logout",
		Method: http.MethodGet, Target: "/logout",
		Explain: "The page sends your browser to the demo's /logout, as a link click would. " +
			"A top-level navigation carries even a SameSite=Lax cookie, so SameSite cannot help here: " +
			"only \"GET never changes anything\" does. You land on the 405 page, still logged in.",
	},
}

// attackByPath returns the attack served at path.
func attackByPath(path string) (Attack, bool) {
	for _, a := range Attacks {
		if a.Path == path {
			return a, true
		}
	}
	return Attack{}, false
}

// attackerData is what the attacker templates are executed with.
type attackerData struct {
	Attacks []Attack
	Attack  Attack
	// Victim is the victim app's origin, e.g. "http://localhost:8000".
	Victim string
	// URL is the victim URL the attack targets, with its tag.
	URL string
	// Unsafe reports whether the victim runs in unsafe mode.
	Unsafe bool
}

func (d *Demo) attackerHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		d.renderAttacker(w, "attacker_index.html", attackerData{Attacks: Attacks})
	})
	for _, a := range Attacks {
		mux.HandleFunc("GET "+a.Path, func(w http.ResponseWriter, r *http.Request) {
			d.renderAttacker(w, "attack_"+a.ID+".html", attackerData{Attack: a})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found on the attacker site", http.StatusNotFound)
	})
	return mux
}

func (d *Demo) renderAttacker(w http.ResponseWriter, name string, data attackerData) {
	data.Attacks = Attacks
	data.Victim = d.victimURL
	data.Unsafe = d.cfg.Unsafe
	if data.Attack.ID != "" {
		data.URL = d.victimURL + data.Attack.Target + "?attack=" + data.Attack.ID
	}
	t, ok := d.attackerTmpl[name]
	if !ok {
		http.Error(w, "missing template", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := t.Execute(w, data); err != nil {
		d.log.Error("demo: attacker template", "template", name, "err", err)
	}
}

// parseAttackerTemplates parses the attacker layout with each attacker page.
func parseAttackerTemplates() (map[string]*template.Template, error) {
	names := []string{"attacker_index.html"}
	for _, a := range Attacks {
		names = append(names, "attack_"+a.ID+".html")
	}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t, err := template.New("attacker_base.html").ParseFS(templateFS,
			"templates/attacker_base.html", "templates/"+n)
		if err != nil {
			return nil, err
		}
		out[n] = t
	}
	return out, nil
}
