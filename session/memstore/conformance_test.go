package memstore_test

import (
	"testing"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// TestConformance runs the shared store suite. A memory store cannot be
// shared between processes, so the shared-backend cases use one Store
// through two references (the suite's default).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store {
		st, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
