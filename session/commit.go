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
	switch {
	case st.fresh: // the session vanished under us (destroyed elsewhere)
		if !headersSent {
			st.m.setCookie(hdr, st.r, "", time.Time{}, true)
		}
	case cookie:
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
// renewal, which then deletes the old key.
func (st *reqState) writeNew(now time.Time) error {
	m := st.m
	ctx, cancel := st.commitCtx()
	defer cancel()
	oldKey := st.key
	if st.renew && !st.fresh {
		// Pick up what other requests committed since we loaded, so a
		// renewal does not undo their changes.
		rec, found, err := m.store.Find(ctx, oldKey)
		if err != nil {
			return err
		}
		if md, ok := decodeMeta(rec.Values[metaKey]); found && ok {
			st.mergeOnto(rec, md)
		}
	}
	st.version = 0
	for attempt := 0; ; attempt++ {
		id := newID()
		key := HashID(id)
		rec := st.record(now)
		v, err := m.store.Commit(ctx, key, rec)
		if errors.Is(err, ErrConflict) && attempt < 2 {
			continue // a random 256-bit key cannot collide; be robust anyway
		}
		if err != nil {
			return err
		}
		st.id, st.key, st.version, st.fresh = id, key, v, false
		st.md.lastSeen = now
		break
	}
	if oldKey != "" {
		if err := m.store.Delete(ctx, oldKey); err != nil {
			return err
		}
	}
	return nil
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
		rec, found, err := m.store.Find(ctx, st.key)
		if err != nil {
			return err
		}
		md, ok := decodeMeta(rec.Values[metaKey])
		if !found || !ok || m.expired(md, now) {
			// Destroyed or expired by someone else: do not resurrect it.
			m.logEvent(slog.LevelInfo, st.r, "session change dropped",
				errors.New("session: the session ended while this request was running"))
			st.startFresh()
			return nil
		}
		st.mergeOnto(rec, md)
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
