// This file holds the two routes the load test measures.

package main

import (
	"net/http"
	"strconv"

	"github.com/bulwark-go/bulwark/session"
)

// counterKey is the session value /write increments and /read returns.
const counterKey = "n"

// Handler serves GET /read and POST /write behind m's session middleware.
func Handler(m *session.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		n, ok := m.GetInt64(r.Context(), counterKey)
		if !ok {
			// A load run whose cookie is not a live session must fail, not
			// measure the cost of an empty session.
			http.Error(w, "no session", http.StatusNotFound)
			return
		}
		writeInt(w, n)
	})
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		n, _ := m.GetInt64(r.Context(), counterKey)
		n++
		m.PutInt64(r.Context(), counterKey, n)
		writeInt(w, n)
	})
	return m.Handler(mux)
}

func writeInt(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(strconv.AppendInt(nil, n, 10))
}
