package sessionbench

import (
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

func init() {
	bulwarkStores["memory"] = func(Env) (session.Store, func(), error) {
		st, err := memstore.New(memstore.Config{})
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
}
