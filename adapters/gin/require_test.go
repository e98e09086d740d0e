package bulwarkgin

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/auth"
)

func whoAmI(c *gin.Context) {
	if u, ok := auth.CurrentUser(c.Request); ok {
		c.String(http.StatusOK, u.Username)
		return
	}
	c.String(http.StatusOK, "nobody")
}

// RequireLogin redirects a browser to the login page and answers a JSON
// client 401, without running the handler; a logged-in user gets through.
func TestRequireLogin(t *testing.T) {
	f := newFixture(t)
	c := serve(t, loginApp(f))
	res := c.do(http.MethodGet, "/account?tab=1", nil, map[string]string{"Accept": "text/html"})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Faccount%3Ftab%3D1" || res.body == "nobody" {
		t.Errorf("HTML: status %d, Location %q, body %q", res.status, res.header.Get("Location"), res.body)
	}
	res = c.do(http.MethodGet, "/account", nil, map[string]string{"Accept": "application/json"})
	var body map[string]string
	if res.status != http.StatusUnauthorized || json.Unmarshal([]byte(res.body), &body) != nil || body["error"] != "login required" {
		t.Errorf("JSON: status %d, body %q", res.status, res.body)
	}
	login(t, c)
	if res := c.get("/account"); res.status != http.StatusOK || res.body != "alice" {
		t.Errorf("logged in: status %d, body %q", res.status, res.body)
	}
}
