package csrf_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bulwark-go/bulwark/csrf"
)

// Every layer's verdict on a forged form post: Fetch Metadata refuses it
// and decides, and the Origin and token layers would each have refused it
// too.
func ExampleConfig_observe() {
	p, err := csrf.New(csrf.Config{
		Key:    key,
		Logger: quiet,
		Observe: func(r *http.Request, v csrf.Verdicts) {
			for _, lv := range v.All() {
				fmt.Printf("%-15s %s\n", lv.Layer, lv.Outcome)
			}
			d, _ := v.Decided()
			fmt.Println("decided by:", d.Layer)
		},
	})
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		fmt.Println("the handler ran")
	}))

	r := httptest.NewRequest("POST", "http://localhost:8000/notes", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "http://127.0.0.1:8001")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// exemption       not applicable
	// Fetch Metadata  fail
	// Origin          fail
	// Referer         not applicable
	// token           fail
	// form binding    not applicable
	// decided by: Fetch Metadata
	// 403
}
