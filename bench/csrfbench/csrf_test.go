package csrfbench

import (
	"os"
	"strconv"
	"testing"
)

// rotation returns the order in which to run n libraries: rotated by
// $BULWARK_BENCH_ROTATE, so that across scripts/bench's runs every library
// takes every position (the first benchmark of a group tends to be slower).
func rotation(n int) []int {
	k, _ := strconv.Atoi(os.Getenv("BULWARK_BENCH_ROTATE"))
	order := make([]int, n)
	for i := range order {
		order[i] = ((i+k)%n + n) % n
	}
	return order
}

// TestScenarios verifies, for every library, that each benchmarked scenario
// behaves as intended: tokens rendered, valid POST accepted, forged and
// missing tokens refused, cross-site POST rejected without reaching the app.
func TestScenarios(t *testing.T) {
	libs, err := Libs()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range libs {
		t.Run(lib.Name, func(t *testing.T) {
			cases, err := Prepare(lib)
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range MiddlewareScenarios {
				if _, err := NewMiddlewareCase(lib, cases[sc]); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCSRF measures every scenario for every library. Names are
// BenchmarkCSRF/<scenario>/<library>.
func BenchmarkCSRF(b *testing.B) {
	libs, err := Libs()
	if err != nil {
		b.Fatal(err)
	}
	prepared := make([]map[string]*Case, len(libs))
	for i, lib := range libs {
		if prepared[i], err = Prepare(lib); err != nil {
			b.Fatal(err)
		}
	}
	for _, sc := range Scenarios {
		b.Run(sc, func(b *testing.B) {
			for _, i := range rotation(len(libs)) {
				lib, c := libs[i], prepared[i][sc]
				b.Run(lib.Name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						c.Serve()
					}
				})
			}
		})
	}
}

// BenchmarkMiddleware measures each library's own cost: the same valid and
// cross-site POSTs against the middleware around a no-op handler, with a
// reusable response writer. Names are BenchmarkMiddleware/<scenario>/<library>.
func BenchmarkMiddleware(b *testing.B) {
	libs, err := Libs()
	if err != nil {
		b.Fatal(err)
	}
	prepared := make([]map[string]*MiddlewareCase, len(libs))
	for i, lib := range libs {
		cases, err := Prepare(lib)
		if err != nil {
			b.Fatal(err)
		}
		prepared[i] = map[string]*MiddlewareCase{}
		for _, sc := range MiddlewareScenarios {
			if prepared[i][sc], err = NewMiddlewareCase(lib, cases[sc]); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, sc := range MiddlewareScenarios {
		b.Run(sc, func(b *testing.B) {
			for _, i := range rotation(len(libs)) {
				lib, mc := libs[i], prepared[i][sc]
				b.Run(lib.Name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						mc.Serve()
					}
				})
			}
		})
	}
}
