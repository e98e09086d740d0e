// This file holds how a request's session travels in its context.

package session

import (
	"context"
	"net/http"
)

func contextWithState(r *http.Request, m *Manager, st *reqState) context.Context {
	return context.WithValue(r.Context(), ctxKey{m}, st)
}
