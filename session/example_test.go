package session_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// A stdlib ServeMux app with login, a counter and logout. The requests are
// played with httptest so the example runs as a test.
func Example() {
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	sessions, err := session.New(session.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... check the password first ...
		if err := sessions.BindUser(r.Context(), r.FormValue("user")); err != nil {
			return // the store failed: the Manager answers 503
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		user := sessions.UserID(r.Context())
		if user == "" {
			fmt.Fprintln(w, "hello, stranger")
			return
		}
		n, _ := sessions.GetInt64(r.Context(), "visits")
		sessions.PutInt64(r.Context(), "visits", n+1)
		fmt.Fprintf(w, "hello, %s (visit %d)\n", user, n+1)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Destroy(r.Context()); err != nil {
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	app := sessions.Handler(mux)

	// A tiny browser with a cookie jar of one.
	var cookie *http.Cookie
	visit := func(method, target, body string) string {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		for _, c := range w.Result().Cookies() {
			cookie = c
			if c.MaxAge < 0 {
				cookie = nil
			}
		}
		return fmt.Sprintf("%d %s", w.Code, strings.TrimSpace(w.Body.String()))
	}

	fmt.Println(visit("GET", "/", ""))
	fmt.Println(visit("POST", "/login", "user=alice")[:3])
	fmt.Println(visit("GET", "/", ""))
	fmt.Println(visit("GET", "/", ""))
	fmt.Println(visit("POST", "/logout", "")[:3])
	fmt.Println(visit("GET", "/", ""))
	// Output:
	// 200 hello, stranger
	// 303
	// 200 hello, alice (visit 1)
	// 200 hello, alice (visit 2)
	// 303
	// 200 hello, stranger
}

// Ending every other session of a user, for example after a password
// change, uses the store's user index: no scan of other sessions.
func ExampleManager_DestroyUserSessions() {
	store, _ := memstore.New(memstore.Config{})
	defer store.Close()
	sessions, _ := session.New(session.Config{Store: store})

	login := sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = sessions.BindUser(r.Context(), "alice")
	}))
	var laptop *http.Cookie
	for range 3 { // three devices log in
		w := httptest.NewRecorder()
		login.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
		laptop = w.Result().Cookies()[0]
	}

	changePassword := sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := sessions.DestroyUserSessions(r.Context(), "alice", true)
		if err != nil {
			return
		}
		fmt.Printf("ended %d other sessions\n", n)
	}))
	r := httptest.NewRequest("POST", "/password", nil)
	r.AddCookie(laptop)
	changePassword.ServeHTTP(httptest.NewRecorder(), r)
	fmt.Println("sessions left:", store.Len())
	// Output:
	// ended 2 other sessions
	// sessions left: 1
}

// Keep the csrf package's secret in the session instead of a cookie:
//
//	protector, err := csrf.New(csrf.Config{Secrets: sessions.CSRFSecrets()})
//	app := sessions.Handler(protector.Handler(mux))
func ExampleManager_CSRFSecrets() {
	store, _ := memstore.New(memstore.Config{})
	defer store.Close()
	sessions, _ := session.New(session.Config{Store: store})
	secrets := sessions.CSRFSecrets()

	h := sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := secrets.LoadSecret(r)
		fmt.Println("secret before:", s)
		_ = secrets.SaveSecret(w, r, []byte("32 random bytes in real use....."))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println("session cookie set:", len(w.Result().Cookies()) == 1)
	// Output:
	// secret before: []
	// session cookie set: true
}
