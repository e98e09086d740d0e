package csrf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/fault"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// failingSecrets is a SecretStore whose calls fail with err; with cancel
// set, the client goes away during the call.
type failingSecrets struct {
	err    error
	cancel context.CancelFunc
}

func (s failingSecrets) LoadSecret(r *http.Request) ([]byte, error) {
	if s.cancel != nil {
		s.cancel()
		return nil, r.Context().Err()
	}
	return nil, s.err
}

func (s failingSecrets) SaveSecret(_ http.ResponseWriter, r *http.Request, _ []byte) error {
	_, err := s.LoadSecret(r)
	return err
}

// Each way Config.Secrets can fail is refused (fail closed) with its own
// reason, and logged at ERROR only when it is a store fault nobody logged
// yet: a client that went away is Debug, and a fault the store marked as
// logged (the session Manager's) is not logged again.
func TestSecretStoreFaultsAreLoggedOnce(t *testing.T) {
	cases := []struct {
		name       string
		secrets    func(cancel context.CancelFunc) SecretStore
		wantReason error
		wantErrors int
		wantWarns  int
	}{
		{"client went away", func(c context.CancelFunc) SecretStore { return failingSecrets{cancel: c} }, ErrClientGone, 0, 0},
		{"store fault", func(context.CancelFunc) SecretStore { return failingSecrets{err: errors.New("db down")} }, ErrSecretStore, 1, 1},
		{"store fault the store logged", func(context.CancelFunc) SecretStore {
			return failingSecrets{err: fault.Logged(errors.New("db down"))}
		}, ErrSecretStore, 0, 1},
	}
	for _, tc := range cases {
		for _, method := range []string{"POST", "GET"} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				var logs testlog.Buffer
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var reason error
				p := mustNew(t, Config{Secrets: tc.secrets(cancel), Logger: logs.Logger(),
					FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						reason = Reason(r)
						w.WriteHeader(http.StatusForbidden)
					})})
				r := httptest.NewRequest(method, "http://example.com/form", strings.NewReader("csrf_token=x")).WithContext(ctx)
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				r.Header.Set("Origin", "http://example.com")
				served := false
				w := httptest.NewRecorder()
				p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					served = true
					if tok := Token(r); tok != "" {
						t.Errorf("a token was rendered without a secret: %q", tok)
					}
				})).ServeHTTP(w, r)
				if method == "POST" && (served || !errors.Is(reason, tc.wantReason)) {
					t.Fatalf("served=%v reason=%v; want refused for %v", served, reason, tc.wantReason)
				}
				if method == "GET" && !served {
					t.Fatalf("a GET was refused (%v): only the token is lost", reason)
				}
				wantWarns := tc.wantWarns
				if method == "GET" {
					wantWarns = 0 // nothing is rejected
				}
				got := logs.String()
				if n := strings.Count(got, "level=ERROR"); n != tc.wantErrors {
					t.Errorf("%d ERROR lines, want %d:\n%s", n, tc.wantErrors, got)
				}
				if n := strings.Count(got, "level=WARN"); n != wantWarns {
					t.Errorf("%d WARN lines, want %d:\n%s", n, wantWarns, got)
				}
			})
		}
	}
}
