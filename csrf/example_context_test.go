package csrf_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/bulwark-go/bulwark/csrf"
)

// A component library such as templ hands its components a
// context.Context, not the request: the FromContext accessors read the
// token from it. noteForm stands in for a templ component:
//
//	templ noteForm() {
//		<main hx-headers={ csrf.HXHeadersValueFromContext(ctx) } hx-headers:inherited={ csrf.HXHeadersValueFromContext(ctx) }>
//			<form method="post" action="/notes">@templ.Raw(csrf.FieldFromContext(ctx))</form>
//		</main>
//	}
func ExampleTokenFromContext() {
	noteForm := func(ctx context.Context, w io.Writer) {
		hx := html.EscapeString(csrf.HXHeadersValueFromContext(ctx)) // as templ escapes attribute values
		fmt.Fprintf(w, `<main hx-headers="%s" hx-headers:inherited="%s">`, hx, hx)
		fmt.Fprintf(w, `<form method="post" action="/notes">%s</form></main>`, csrf.FieldFromContext(ctx))
	}
	p, err := csrf.New(csrf.Config{Key: key, Logger: quiet})
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noteForm(r.Context(), w) // templ.Handler renders with r.Context() too
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8000/", nil))
	page := regexp.MustCompile(`[A-Za-z0-9_-]{86}`).ReplaceAllString(w.Body.String(), "TOKEN")
	fmt.Println(strings.ReplaceAll(page, "><", ">\n<"))
	fmt.Println(w.Header().Get("Cache-Control"), len(w.Result().Cookies()))
	// Output:
	// <main hx-headers="{&#34;X-CSRF-Token&#34;:&#34;TOKEN&#34;}" hx-headers:inherited="{&#34;X-CSRF-Token&#34;:&#34;TOKEN&#34;}">
	// <form method="post" action="/notes">
	// <input type="hidden" name="csrf_token" value="TOKEN">
	// </form>
	// </main>
	// private 1
}
