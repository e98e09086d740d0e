// Package storetest is the conformance suite every session.Store passes.
//
// A Store holds authentication state, so the suite checks the properties an
// attacker or a busy server would probe: an expired session is never
// returned, a stale writer never overwrites a newer commit (versioned
// compare-and-swap), a user's sessions can all be found and ended without a
// scan, a cancelled request does not hang on the backend, and two app
// instances over one backend see each other's sessions.
//
// A store package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store {
//			s, err := mystore.New(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Suite adds optional hooks, such as a second handle to the same backend.
// The suite uses real time for expiry (sessions that live about a second,
// observed by polling with a deadline), because backends such as Redis
// expire keys on their own clock.
//
// Helpers for tests that need real servers live here too: RedisAddr and
// PostgresDSN read the environment and skip (or, with CI=true, fail) when a
// server is not configured or not reachable.
package storetest
