// This file holds the adapter that keeps a CSRF secret in the session.

package session

import (
	"net/http"
)

// csrfKey is the reserved key of the CSRF secret.
const csrfKey = reservedPrefix + "csrf"

// CSRFSecretStore keeps a per-session CSRF secret under a reserved session
// key. Its method set matches csrf.SecretStore, so a value of it can be
// used as csrf.Config.Secrets without this package importing csrf. The
// secret follows the session: it survives Renew and a BindUser that keeps
// the data, and ends with Destroy and with a BindUser to another user. It is safe for concurrent use.
type CSRFSecretStore struct{ m *Manager }

// CSRFSecrets returns the adapter for csrf.Config.Secrets. The csrf
// middleware must run inside m.Handler.
func (m *Manager) CSRFSecrets() CSRFSecretStore { return CSRFSecretStore{m: m} }

// LoadSecret returns a copy of the session's CSRF secret, or nil, nil when
// it has none yet. It fails with the store fault when the session could
// not be loaded, and with ErrNoHandler outside m.Handler.
func (s CSRFSecretStore) LoadSecret(r *http.Request) ([]byte, error) {
	st, err := s.m.locked(r.Context())
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	v, ok := st.values[csrfKey]
	if !ok || len(v) == 0 {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

// SaveSecret stores a copy of secret in the session; it is committed with
// the session before the response headers. An empty secret removes it.
func (s CSRFSecretStore) SaveSecret(_ http.ResponseWriter, r *http.Request, secret []byte) error {
	st, err := s.m.locked(r.Context())
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	if len(secret) == 0 {
		delete(st.values, csrfKey)
	} else {
		st.values[csrfKey] = append([]byte(nil), secret...)
	}
	st.changed[csrfKey] = struct{}{}
	return nil
}
