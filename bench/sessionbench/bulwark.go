package sessionbench

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bulwark-go/bulwark/session"
)

// bulwarkStores builds a Bulwark store per backend; one file per store
// registers itself (bulwark_memory.go, ...).
var bulwarkStores = map[string]func(env Env) (session.Store, func(), error){}

func init() { bulwarkImpl = newBulwark }

// newBulwark wires a Bulwark Manager over the backend's store, with the same
// timeouts as scs.
func newBulwark(env Env, backend string) (*Impl, error) {
	mk, ok := bulwarkStores[backend]
	if !ok {
		return nil, fmt.Errorf("bulwark: no store registered for backend %q", backend)
	}
	store, closeFn, err := mk(env)
	if err != nil {
		return nil, err
	}
	m, err := session.New(session.Config{
		Store:       store,
		IdleTimeout: IdleTimeout,
		Lifetime:    Lifetime,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		closeFn()
		return nil, err
	}
	return &Impl{
		Lib:     "bulwark",
		Backend: backend,
		Wrap:    m.Handler,
		Get: func(ctx context.Context, key string) string {
			v, _ := m.GetString(ctx, key)
			return v
		},
		Put:   m.PutString,
		Close: closeFn,
	}, nil
}
