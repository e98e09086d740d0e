package pgstore_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/storetest"
)

// TestFaults cuts and stalls the connection to PostgreSQL mid-test.
func TestFaults(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	storetest.Faults{
		Target: target,
		New: func(t *testing.T, proxy string) session.Store {
			host, port, _ := net.SplitHostPort(proxy)
			pc, err := pgxpool.ParseConfig(dsn)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := strconv.Atoi(port)
			pc.ConnConfig.Host, pc.ConnConfig.Port = host, uint16(p)
			pc.ConnConfig.ConnectTimeout = time.Second
			pc.ConnConfig.Fallbacks = nil
			pc.MaxConns = 4
			pool, err := pgxpool.NewWithConfig(context.Background(), pc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			// The table is dropped through a direct pool.
			direct := newPool(t, dsn)
			return newStore(t, pool, pgstoreConfig(uniqueTable(t, direct)))
		},
	}.Run(t)
}
