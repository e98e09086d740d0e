package sessionbench

import (
	"context"
	"os"
	"path/filepath"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

func init() {
	bulwarkStores["sqlite"] = func(env Env) (session.Store, func(), error) {
		path := filepath.Join(env.TempDir, "bulwark-"+unique()+".db")
		st, err := sqlitestore.New(context.Background(), sqlitestore.Config{Path: path})
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close(); os.Remove(path) }, nil
	}
}
