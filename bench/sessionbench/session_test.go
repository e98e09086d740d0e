package sessionbench

import (
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// rotationOffset is where the library order starts: $BULWARK_BENCH_ROTATE
// when set (scripts/bench sets it to the run number), otherwise a random
// offset chosen once per process, so that no library always runs first.
var rotationOffset = func() int {
	if k, err := strconv.Atoi(os.Getenv("BULWARK_BENCH_ROTATE")); err == nil {
		return k
	}
	return rand.IntN(1 << 16)
}()

// rotated returns the libraries rotated by k, so that across runs (and
// across -test.count repetitions) each library also runs first.
func rotated(k int) []string {
	libs := Libs()
	k = ((k % len(libs)) + len(libs)) % len(libs)
	return slices.Concat(libs[k:], libs[:k])
}

// sessionCalls and lostCalls count the invocations of each benchmark in
// this process, so that -test.count N rotates the order too.
var sessionCalls, lostCalls int

// LostUpdateWriters is the number of concurrent requests in the lost-update
// check.
const LostUpdateWriters = 64

// newImpl builds lib on backend for tb, skipping when the backend's server
// is not configured (CI=true turns an unreachable server into a failure).
func newImpl(tb testing.TB, lib, backend string) *Impl {
	tb.Helper()
	im, err := New(EnvFromOS(tb.TempDir()), lib, backend)
	if errors.Is(err, ErrSkip) {
		tb.Skipf("%s: set BULWARK_REDIS_ADDR / BULWARK_PG_DSN to run against a real server", backend)
	}
	if err != nil {
		tb.Fatalf("%s/%s: %v", backend, lib, err)
	}
	tb.Cleanup(im.Close)
	return im
}

// TestOps verifies that the benchmarked load and modify requests behave:
// the load sees the stored value and every modify is committed.
func TestOps(t *testing.T) {
	for _, backend := range Backends {
		for _, lib := range Libs() {
			t.Run(backend+"/"+lib, func(t *testing.T) {
				if _, err := Prepare(newImpl(t, lib, backend)); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestLostUpdates sends 64 concurrent requests of one session, each writing
// its own key. Bulwark must keep every key; scs's losses are logged.
func TestLostUpdates(t *testing.T) {
	for _, backend := range Backends {
		for _, lib := range Libs() {
			for _, mode := range []struct {
				name    string
				barrier bool
			}{{"all-read-first", true}, {"free-running", false}} {
				t.Run(backend+"/"+lib+"/"+mode.name, func(t *testing.T) {
					im := newImpl(t, lib, backend)
					lost, failed, err := LostUpdates(im, LostUpdateWriters, mode.barrier)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%s %s: %d of %d updates lost, %d requests failed", im.Name(), mode.name, lost, LostUpdateWriters, failed)
					if lib == "bulwark" && (lost != 0 || failed != 0) {
						t.Errorf("%s lost %d of %d concurrent updates (%d requests failed), want 0", im.Name(), lost, LostUpdateWriters, failed)
					}
				})
			}
		}
	}
}

// BenchmarkSession measures load and load+modify+commit. Names are
// BenchmarkSession/<op>/<backend>/<lib>.
func BenchmarkSession(b *testing.B) {
	k := rotationOffset + sessionCalls
	sessionCalls++
	for _, op := range Ops {
		b.Run(op, func(b *testing.B) {
			for _, backend := range Backends {
				b.Run(backend, func(b *testing.B) {
					for _, lib := range rotated(k) {
						b.Run(lib, func(b *testing.B) {
							im := newImpl(b, lib, backend)
							cases, err := Prepare(im)
							if err != nil {
								b.Fatal(err)
							}
							c := cases[op]
							b.ReportAllocs()
							for b.Loop() {
								if rec := c.Serve(); rec.Code != 200 {
									b.Fatalf("%s %s answered %d", im.Name(), op, rec.Code)
								}
							}
						})
					}
				})
			}
		})
	}
}

// BenchmarkLostUpdates runs the 64-writer round (every request reads before
// any writes) b.N times and reports the mean number of keys lost per round
// as "lost/op" and failed requests as "failed/op".
func BenchmarkLostUpdates(b *testing.B) {
	k := rotationOffset + lostCalls
	lostCalls++
	for _, backend := range Backends {
		b.Run(backend, func(b *testing.B) {
			for _, lib := range rotated(k) {
				b.Run(lib, func(b *testing.B) {
					im := newImpl(b, lib, backend)
					var lost, failed, rounds int
					for b.Loop() {
						l, f, err := LostUpdates(im, LostUpdateWriters, true)
						if err != nil {
							b.Fatal(err)
						}
						lost += l
						failed += f
						rounds++
					}
					b.ReportMetric(float64(lost)/float64(rounds), "lost/op")
					b.ReportMetric(float64(failed)/float64(rounds), "failed/op")
				})
			}
		})
	}
}
