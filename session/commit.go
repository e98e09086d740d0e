// This file holds the commit: writing a request's changes with a versioned
// compare-and-swap, merging them onto newer data on conflict, and the
// cookie that goes with the result.

package session

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/bulwark-go/bulwark/internal/header"
)

// modified reports whether this request changed anything that must be
// written.
func (st *reqState) modified() bool {
	return len(st.changed) > 0 || st.userChanged || st.persistSet || st.deadlineSet || st.renew
}

// needsCookie reports whether a commit of the current changes must send a
// new cookie: a new ID, or new cookie attributes.
func (st *reqState) needsCookie() bool {
	return st.fresh || st.renew || st.persistSet || st.deadlineSet
}

// commit writes the request's changes, if any, and sets the cookie on hdr.
// headersSent tells it that hdr can no longer reach the client. It may run
// more than once per request (before the headers, then at handler return
// for late changes); each run writes only what changed since the last.
func (st *reqState) commit(hdr http.Header, headersSent bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return // never write over data we failed to read
	}
	if st.loaded && !headersSent {
		header.AddVary(hdr, "Cookie") // the handler used the session: the response depends on the cookie
	}
	if !st.loaded {
		if st.destroyed && !headersSent {
			st.m.setCookie(hdr, st.r, "", time.Time{}, true)
		}
		return
	}
	now := st.m.now()
	if !st.modified() {
		if st.destroyed && !headersSent {
			st.m.setCookie(hdr, st.r, "", time.Time{}, true)
			st.destroyed = false
		}
		if !st.fresh && !st.refreshed && st.m.cfg.IdleTimeout > 0 && now.Sub(st.md.lastSeen) >= st.m.refreshAfter() {
			st.refresh(now)
		}
		return
	}
	if headersSent && st.needsCookie() {
		st.m.logEvent(slog.LevelWarn, st.r, "session change dropped",
			errors.New("session: changed after the response headers were written; a new cookie could not be sent"))
		st.clearChanges()
		return
	}
	cookie := st.needsCookie()
	var err error
	if st.fresh || st.renew {
		err = st.writeNew(now)
	} else {
		err = st.writeExisting(now)
	}
	if err != nil {
		st.fault("commit", err)
		return
	}
	st.clearChanges()
	// A session that ended elsewhere (st.fresh again) or moved to an ID
	// this request does not know (st.id == "") gets no cookie: the browser
	// may already hold a newer session's cookie, which must not be expired.
	switch {
	case !st.fresh && st.id == "":
		if cookie {
			st.m.logEvent(slog.LevelInfo, st.r, "session cookie not updated",
				errors.New("session: another request renewed the session while this one ran; its response carries the new ID"))
		}
	case !st.fresh && cookie:
		st.m.setCookie(hdr, st.r, st.id, st.md.deadline, st.md.persist)
		st.destroyed = false
	case st.destroyed && !headersSent:
		st.m.setCookie(hdr, st.r, "", time.Time{}, true)
		st.destroyed = false
	}
}

func (st *reqState) clearChanges() {
	clear(st.changed)
	st.userChanged, st.persistSet, st.deadlineSet, st.renew = false, false, false, false
}

func (st *reqState) record(now time.Time) Record {
	md := st.md
	md.lastSeen = now
	values := make(map[string][]byte, len(st.values)+1)
	for k, v := range st.values {
		values[k] = v
	}
	values[metaKey] = md.encode()
	return Record{Values: values, UserID: st.userID, Version: st.version, Expiry: st.m.expiry(md)}
}

// writeNew stores the session under a new ID: a brand-new session, or a
// renewal.
//
// A renewal must neither lose a change another request commits to the old
// ID while it runs, nor bring back a session that was destroyed meanwhile
// (logout in another tab, DestroyUserSessions after a password change). So
// it re-reads the old session, writes the new one, and then retires the
// old ID with a compare-and-swap: a tombstone committed over exactly the
// version it merged. If the old session changed in between, the change is
// merged into the new session and the retirement retried; if it ended in
// between, the renewal ends too, unless this request bound a user (a fresh
// login), which then keeps only its own changes. A session that another
// request renewed in between counts as ended here: this renewal never
// takes over the renewed one. Once the tombstone is in place no request
// can commit to the old ID any more; the tombstone stays for
// renewalGrace, so that requests still running follow it (see current).
func (st *reqState) writeNew(now time.Time) error {
	m := st.m
	ctx, cancel := st.commitCtx()
	defer cancel()
	oldKey := ""
	var oldVersion uint64
	if st.renew && !st.fresh {
		live, err := st.reread(ctx, st.key, now, false)
		if err != nil {
			return err
		}
		if live == "" {
			if !st.userChanged {
				st.ended()
				return nil
			}
			st.mergeOnto(Record{}, st.md)
		}
		oldKey, oldVersion = live, st.version
	}
	if err := st.storeNewID(ctx, now); err != nil {
		return err
	}
	for attempt := 1; oldKey != ""; attempt++ {
		_, err := m.store.Commit(ctx, oldKey, tombstone(oldVersion, now, st.key))
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt == MaxCommitAttempts {
			st.discardNew(ctx)
			if errors.Is(err, ErrConflict) {
				return ErrTooManyConflicts
			}
			return err
		}
		if attempt > 1 {
			if err := backoff(ctx, attempt); err != nil {
				st.discardNew(ctx)
				return err
			}
		}
		newVersion := st.version
		live, err := st.reread(ctx, oldKey, now, false)
		if err != nil {
			st.discardNew(ctx)
			return err
		}
		if live == "" && !st.userChanged {
			st.discardNew(ctx)
			st.ended()
			return nil
		}
		if live == "" {
			st.mergeOnto(Record{}, st.md)
		}
		oldKey, oldVersion = live, st.version
		st.version = newVersion
		v, err := m.store.Commit(ctx, st.key, st.record(now))
		if err != nil {
			st.discardNew(ctx)
			return err
		}
		st.version = v
	}
	return nil
}

// storeNewID stores the request's view of the session under a new ID.
func (st *reqState) storeNewID(ctx context.Context, now time.Time) error {
	st.version = 0
	for attempt := 0; ; attempt++ {
		id := newID()
		key := HashID(id)
		v, err := st.m.store.Commit(ctx, key, st.record(now))
		if errors.Is(err, ErrConflict) && attempt < 2 {
			continue // a random 256-bit key cannot collide; be robust anyway
		}
		if err != nil {
			return err
		}
		st.id, st.key, st.version, st.fresh = id, key, v, false
		st.md.lastSeen = now
		st.loadedUser = st.userID // the binding later commits start from
		return nil
	}
}

// reread replaces the request's view of the session stored under key by
// the session as it is now (see current; follow says whether to follow a
// renewal) with this request's changes re-applied. It returns the key the
// session lives under now, or "" when it ended.
func (st *reqState) reread(ctx context.Context, key string, now time.Time, follow bool) (string, error) {
	rec, md, live, err := st.current(ctx, key, now, follow)
	if err != nil || live == "" {
		return "", err
	}
	st.mergeOnto(rec, md)
	return live, nil
}

// maxRenewalHops bounds how many renewals current follows.
const maxRenewalHops = 8

// current finds the session stored under key as it is now. A renewal's
// tombstone names the new key. With follow, current follows it while the
// renewed session is bound to the user this request loaded: a request that
// was running while another request of the same browser renewed the
// session (log out other devices, a password change) commits to the
// renewed session instead of losing its change. A renewal that changed the
// user (a login) is not followed, so a request on the session as it was
// before can never write into the session as it is after. A renewal never
// follows another one (writeNew passes follow=false): a request still
// running on the retired ID, a thief's with a stolen cookie, must not get
// a new ID for the session the renewal cut it off from. It returns
// live == "" when the session was destroyed, expired, renewed for another
// user, or renewed and not followed.
func (st *reqState) current(ctx context.Context, key string, now time.Time, follow bool) (rec Record, md meta, live string, err error) {
	for hop := 0; hop <= maxRenewalHops; hop++ {
		rec, found, err := st.m.store.Find(ctx, key)
		if err != nil || !found {
			return Record{}, meta{}, "", err
		}
		if next := rec.Values[renewedKey]; follow && len(next) == hashIDLen {
			key = string(next)
			continue
		}
		md, ok := decodeMeta(rec.Values[metaKey])
		if !ok || st.m.expired(md, now) || (hop > 0 && rec.UserID != st.loadedUser) {
			return Record{}, meta{}, "", nil
		}
		return rec, md, key, nil
	}
	return Record{}, meta{}, "", nil
}

// ended drops this request's changes because its session was destroyed or
// expired by someone else: it must not be resurrected.
func (st *reqState) ended() {
	st.m.logEvent(slog.LevelInfo, st.r, "session change dropped",
		errors.New("session: the session ended while this request was running"))
	st.startFresh()
}

// discardNew removes the session writeNew stored under a new ID that will
// never be sent to the client. A failure is only logged: nobody knows the
// ID, and the store reclaims it at its expiry.
func (st *reqState) discardNew(ctx context.Context) {
	if err := st.m.store.Delete(ctx, st.key); err != nil {
		st.m.logEvent(slog.LevelWarn, st.r, "session store cleanup failed", err)
	}
}

// renewalGrace is how long a renewed session's tombstone is kept: a
// request that loaded the session before the renewal and commits within
// this time follows the renewal; a later one finds the session gone and
// drops its change (logged), still leaving the cookie alone.
const renewalGrace = 5 * time.Minute

// tombstone is the record that retires a renewed session's old ID: it
// replaces exactly version, is dead on arrival for every Manager that
// loads it (its deadline is long past, whatever their clocks say), is
// bound to no user, names the store key of the renewed session (a hash,
// useless as a cookie) for the requests still running, and is kept by the
// store for renewalGrace.
func tombstone(version uint64, now time.Time, renewed string) Record {
	md := meta{deadline: time.Unix(1, 0), lastSeen: time.Unix(1, 0)}
	return Record{
		Values:  map[string][]byte{metaKey: md.encode(), renewedKey: []byte(renewed)},
		Version: version,
		Expiry:  now.Add(renewalGrace),
	}
}

// writeExisting commits onto the loaded version; on conflict it re-reads
// the session, re-applies this request's changed keys and tries again.
func (st *reqState) writeExisting(now time.Time) error {
	m := st.m
	ctx, cancel := st.commitCtx()
	defer cancel()
	if err := m.lockStripe(ctx, st.key); err != nil {
		return err
	}
	defer m.unlockStripe(st.key)
	for attempt := 1; ; attempt++ {
		v, err := m.store.Commit(ctx, st.key, st.record(now))
		if err == nil {
			st.version = v
			st.md.lastSeen = now
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return err
		}
		if attempt == MaxCommitAttempts {
			return ErrTooManyConflicts
		}
		if attempt > 1 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		live, err := st.reread(ctx, st.key, now, true)
		if err != nil {
			return err
		}
		switch live {
		case "": // destroyed or expired by someone else: do not resurrect it
			st.ended()
			return nil
		case st.key:
		default: // renewed by another request, whose response has the new ID
			st.id, st.key = "", live
		}
	}
}

// mergeOnto replaces the loaded session by rec and re-applies this
// request's changes on top: changed keys, the user binding, the cookie
// persistence and a reset deadline. Keys this request did not touch take
// the newer values, so concurrent requests changing different keys all
// keep their changes; for a key both changed, the later commit wins.
func (st *reqState) mergeOnto(rec Record, md meta) {
	values := rec.Values
	delete(values, metaKey)
	if values == nil {
		values = make(map[string][]byte)
	}
	for k := range st.changed {
		if v, ok := st.values[k]; ok {
			values[k] = v
		} else {
			delete(values, k)
		}
	}
	st.values = values
	st.version = rec.Version
	if !st.userChanged {
		st.userID = rec.UserID
	}
	if st.persistSet {
		md.persist = st.md.persist
	}
	if st.deadlineSet {
		md.deadline = st.md.deadline
	}
	st.md = md
}

// refresh pushes the idle deadline out without changing data. A conflict
// means another request just wrote (and so refreshed) the session; a
// failure is logged but does not fail the request, which lost nothing.
func (st *reqState) refresh(now time.Time) {
	st.refreshed = true
	ctx, cancel := st.commitCtx()
	defer cancel()
	v, err := st.m.store.Commit(ctx, st.key, st.record(now))
	switch {
	case err == nil:
		st.version, st.md.lastSeen = v, now
	case errors.Is(err, ErrConflict):
	default:
		st.m.logEvent(slog.LevelWarn, st.r, "session idle refresh failed", err)
	}
}

func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(time.Millisecond<<attempt, 50*time.Millisecond))))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Manager) stripe(key string) chan struct{} {
	var h uint32
	for i := 0; i < len(key); i++ {
		h = h*31 + uint32(key[i])
	}
	return m.stripes[h%uint32(len(m.stripes))]
}

func (m *Manager) lockStripe(ctx context.Context, key string) error {
	select {
	case m.stripe(key) <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Manager) unlockStripe(key string) { <-m.stripe(key) }
