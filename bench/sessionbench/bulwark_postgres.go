package sessionbench

import (
	"context"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/pgstore"
)

func init() {
	bulwarkStores["postgres"] = func(env Env) (session.Store, func(), error) {
		if env.PGDSN == "" {
			return nil, nil, ErrSkip
		}
		ctx := context.Background()
		pool, schema, err := pgSchemaPool(ctx, env.PGDSN, "bulwark")
		if err != nil {
			return nil, nil, err
		}
		st, err := pgstore.New(ctx, pool, pgstore.Config{})
		if err != nil {
			dropSchema(env.PGDSN, schema, pool)
			return nil, nil, err
		}
		return st, func() {
			st.Close()
			dropSchema(env.PGDSN, schema, pool)
		}, nil
	}
}
