package demo_test

import (
	"fmt"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// The demo's two sites must differ by host name, not port: a browser sends
// cookies to every port of a host.
func ExampleSameHostName() {
	fmt.Println(demo.SameHostName("localhost:8000", "localhost:8001"))
	fmt.Println(demo.SameHostName("localhost:8000", "127.0.0.1:8001"))
	// Output:
	// true
	// false
}

// Each attacker page targets one route of the app.
func ExampleAttacks() {
	for _, a := range demo.Attacks {
		fmt.Printf("(%s) %s %s\n", a.ID, a.Method, a.Target)
	}
	// Output:
	// (a) GET /logout
	// (b) POST /logout
	// (c) POST /notes
	// (d) POST /api/notes
	// (e) GET /logout
}
