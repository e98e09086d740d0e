package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/audit"
)

// A passive audit reads a site's pages and reports what they show: here
// a GET logout link and a form without a token. It submits nothing and
// does not follow the logout link.
func ExampleRun() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/logout">Log out</a>
<form method="post" action="/notes"><textarea name="body"></textarea><button>Save</button></form>`)
	}))
	defer site.Close()

	report, err := audit.Run(context.Background(), audit.Config{Target: site.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Printf("%s: %s\n", f.Severity, f.Title)
	}
	fmt.Println("worst:", report.Worst())
	// Output:
	// medium: POST form without an anti-CSRF token
	// medium: link to a state-changing-looking URL ("logout"), unconfirmed
	// worst: medium
}
