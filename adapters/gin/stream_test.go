package bulwarkgin

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// c.Stream works behind Sessions and Protect: each event reaches the
// client as it is written, and the client going away ends the stream
// (through CloseNotify: the step never ends it).
func TestStream(t *testing.T) {
	f := newFixture(t)
	next, ended := make(chan struct{}), make(chan bool, 1)
	r := gin.New()
	r.Use(Sessions(f.sessions), Protect(f.csrf))
	r.GET("/events", func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		c.Writer.Flush() // the headers, so that the client's Get returns
		i := 0
		clientGone := c.Stream(func(w io.Writer) bool {
			select {
			case <-next:
				fmt.Fprintf(w, "data: %d\n\n", i)
				i++
			case <-c.Request.Context().Done():
			}
			return true
		})
		ended <- clientGone
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	body := bufio.NewReader(res.Body)
	for i := range 3 {
		next <- struct{}{}
		line, err := body.ReadString('\n')
		if want := fmt.Sprintf("data: %d\n", i); err != nil || line != want {
			t.Fatalf("event %d: %q, %v; want %q", i, line, err, want)
		}
		if blank, err := body.ReadString('\n'); err != nil || blank != "\n" {
			t.Fatalf("after event %d: %q, %v", i, blank, err)
		}
	}
	res.Body.Close() // unread body: the transport closes the connection
	if clientGone := <-ended; !clientGone {
		t.Fatal("c.Stream returned false; want true (client gone)")
	}
}
