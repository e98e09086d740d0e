package stacks

import (
	"net/http"

	"github.com/coder/websocket"
)

// WebSocket serves an echo socket for signed-in users. Nothing in the
// handler is about CSRF: the Protector in front refuses a handshake from
// another origin (Cross-Site WebSocket Hijacking) before it runs.
func WebSocket(k *Kit) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/login", k.Auth.LoginHandler())
	mux.Handle("GET /ws", k.Auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil) // its own origin check stays on, as a second layer
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil || c.Write(ctx, typ, msg) != nil {
				return
			}
		}
	})))
	return k.Sessions.Handler(k.CSRF.Handler(k.Auth.Handler(mux)))
}
