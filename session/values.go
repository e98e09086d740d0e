// This file holds the typed value accessors and how each type is encoded.

package session

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Every stored value starts with a tag naming its type, so reading a key
// as the wrong type reports "not found" instead of garbage.
const (
	tagString byte = 's'
	tagInt64  byte = 'i'
	tagBool   byte = 'b'
	tagTime   byte = 't'
	tagBytes  byte = 'y'
	tagJSON   byte = 'j'
)

// reservedPrefix starts the keys the Manager keeps for itself (the
// session's metadata and the CSRF secret). Accessors ignore such keys.
const reservedPrefix = "\x00"

func reserved(key string) bool { return strings.HasPrefix(key, reservedPrefix) }

func tagged(tag byte, payload []byte) []byte {
	b := make([]byte, 0, 1+len(payload))
	return append(append(b, tag), payload...)
}

func untag(v []byte, tag byte) ([]byte, bool) {
	if len(v) == 0 || v[0] != tag {
		return nil, false
	}
	return v[1:], true
}

// GetString returns the string stored under key. ok is false when the key
// is absent, holds another type, or the session could not be loaded (see
// Err).
func (m *Manager) GetString(ctx context.Context, key string) (val string, ok bool) {
	p, ok := m.getTagged(ctx, key, tagString)
	return string(p), ok
}

// PutString stores a string under key.
func (m *Manager) PutString(ctx context.Context, key, val string) {
	m.put(ctx, key, tagged(tagString, []byte(val)))
}

// GetInt64 returns the int64 stored under key; see GetString for ok.
func (m *Manager) GetInt64(ctx context.Context, key string) (val int64, ok bool) {
	p, ok := m.getTagged(ctx, key, tagInt64)
	if !ok || len(p) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(p)), true
}

// PutInt64 stores an int64 under key.
func (m *Manager) PutInt64(ctx context.Context, key string, val int64) {
	m.put(ctx, key, tagged(tagInt64, binary.BigEndian.AppendUint64(nil, uint64(val))))
}

// GetBool returns the bool stored under key; see GetString for ok.
func (m *Manager) GetBool(ctx context.Context, key string) (val bool, ok bool) {
	p, ok := m.getTagged(ctx, key, tagBool)
	if !ok || len(p) != 1 || p[0] > 1 {
		return false, false
	}
	return p[0] == 1, true
}

// PutBool stores a bool under key.
func (m *Manager) PutBool(ctx context.Context, key string, val bool) {
	b := byte(0)
	if val {
		b = 1
	}
	m.put(ctx, key, []byte{tagBool, b})
}

// GetTime returns the time stored under key, with its original offset and
// without a monotonic reading; see GetString for ok.
func (m *Manager) GetTime(ctx context.Context, key string) (val time.Time, ok bool) {
	p, ok := m.getTagged(ctx, key, tagTime)
	if !ok {
		return time.Time{}, false
	}
	if err := val.UnmarshalBinary(p); err != nil {
		return time.Time{}, false
	}
	return val, true
}

// PutTime stores a time under key. Times whose zone offset is not a whole
// minute are stored in UTC.
func (m *Manager) PutTime(ctx context.Context, key string, val time.Time) {
	p, err := val.MarshalBinary()
	if err != nil {
		p, _ = val.UTC().MarshalBinary()
	}
	m.put(ctx, key, tagged(tagTime, p))
}

// GetBytes returns a copy of the bytes stored under key; see GetString for
// ok.
func (m *Manager) GetBytes(ctx context.Context, key string) (val []byte, ok bool) {
	p, ok := m.getTagged(ctx, key, tagBytes)
	if !ok {
		return nil, false
	}
	return append([]byte{}, p...), true
}

// PutBytes stores a copy of val under key.
func (m *Manager) PutBytes(ctx context.Context, key string, val []byte) {
	m.put(ctx, key, tagged(tagBytes, val))
}

// PutJSON stores the JSON encoding of val under key.
func (m *Manager) PutJSON(ctx context.Context, key string, val any) error {
	p, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("session: put %q as JSON: %w", key, err)
	}
	m.put(ctx, key, tagged(tagJSON, p))
	return nil
}

// GetJSON decodes the JSON stored under key into val. found is false when
// the key is absent or holds another type; err reports a decoding failure.
func (m *Manager) GetJSON(ctx context.Context, key string, val any) (found bool, err error) {
	p, ok := m.getTagged(ctx, key, tagJSON)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(p, val); err != nil {
		return true, fmt.Errorf("session: get %q as JSON: %w", key, err)
	}
	return true, nil
}

// Delete removes key from the session.
func (m *Manager) Delete(ctx context.Context, key string) {
	if reserved(key) {
		return
	}
	st, err := m.locked(ctx)
	if err != nil {
		return
	}
	defer st.mu.Unlock()
	if _, ok := st.values[key]; !ok && st.fresh {
		return // deleting from an empty new session changes nothing
	}
	delete(st.values, key)
	st.changed[key] = struct{}{}
}

// Keys returns the session's keys in sorted order (nil when the session
// could not be loaded).
func (m *Manager) Keys(ctx context.Context) []string {
	st, err := m.locked(ctx)
	if err != nil {
		return nil
	}
	defer st.mu.Unlock()
	keys := make([]string, 0, len(st.values))
	for k := range st.values {
		if !reserved(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (m *Manager) getTagged(ctx context.Context, key string, tag byte) ([]byte, bool) {
	if reserved(key) {
		return nil, false
	}
	v, ok := m.getRaw(ctx, key)
	if !ok {
		return nil, false
	}
	return untag(v, tag)
}

// getRaw returns the stored value (not a copy: callers copy or convert).
func (m *Manager) getRaw(ctx context.Context, key string) ([]byte, bool) {
	st, err := m.locked(ctx)
	if err != nil {
		return nil, false
	}
	defer st.mu.Unlock()
	v, ok := st.values[key]
	return v, ok
}

func (m *Manager) put(ctx context.Context, key string, val []byte) {
	if reserved(key) {
		return
	}
	m.putRaw(ctx, key, val)
}

// putRaw records val (owned by the session from now on) under key.
func (m *Manager) putRaw(ctx context.Context, key string, val []byte) error {
	st, err := m.locked(ctx)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	st.values[key] = val
	st.changed[key] = struct{}{}
	return nil
}

// meta is the session's own bookkeeping, stored under metaKey.
type meta struct {
	deadline time.Time // absolute end of the session; never extended
	lastSeen time.Time // last time a commit recorded activity
	persist  bool      // persistent ("remember me") cookie
}

// renewedKey, in a renewed session's tombstone, holds the store key of
// the session it was renewed to.
const renewedKey = reservedPrefix + "renewed"

const (
	metaKey     = reservedPrefix + "meta"
	metaVersion = 1
	metaLen     = 1 + 8 + 8 + 1
)

func (md meta) encode() []byte {
	b := make([]byte, 0, metaLen)
	b = append(b, metaVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(md.deadline.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(md.lastSeen.UnixNano()))
	p := byte(0)
	if md.persist {
		p = 1
	}
	return append(b, p)
}

func decodeMeta(b []byte) (meta, bool) {
	if len(b) != metaLen || b[0] != metaVersion || b[17] > 1 {
		return meta{}, false
	}
	return meta{
		deadline: time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))),
		lastSeen: time.Unix(0, int64(binary.BigEndian.Uint64(b[9:17]))),
		persist:  b[17] == 1,
	}, true
}
