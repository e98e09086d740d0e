package csrf_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bulwark-go/bulwark/csrf"
)

// A WebSocket handshake is a GET, yet it is checked: a page on another
// origin cannot open a socket to the app with the user's cookies.
func Example_webSocket() {
	p, err := csrf.New(csrf.Config{Key: key, Logger: quiet,
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reason := csrf.Reason(r)
			fmt.Println("refused:", errors.Is(reason, csrf.ErrWebSocketOrigin), errors.Is(reason, csrf.ErrBadOrigin))
			w.WriteHeader(http.StatusForbidden)
		})})
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("upgrading") // websocket.Accept(w, r, nil) in a real app
	}))

	for _, origin := range []string{"https://evil.example", "https://chat.example.com"} {
		r := httptest.NewRequest("GET", "https://chat.example.com/ws", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Origin", origin)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// refused: true true
	// upgrading
}
