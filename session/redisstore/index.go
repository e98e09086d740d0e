// This file holds the user index: one hash per user, from session key to
// the stamp of the commit that last listed it, and the reads and deletes
// that go through it.
//
// Consistency rule: the index may hold stale entries, but it never lacks a
// live session of its user. A commit writes its index entry before the
// session (so a session is listed before it is live), and an entry is
// removed only together with its proof of staleness:
//   - when its session was deleted and the entry still carries the stamp
//     that session was committed with (a later commit writes a new stamp);
//   - or when its session is gone or belongs to another user, and the
//     entry is older than indexGrace (so a commit in flight, listed but not
//     yet written, is never unlisted).
// Every script touches one key, so sessions and indexes spread over the
// nodes of a Redis Cluster without hash tags.

package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// indexGrace is how old an entry whose session is gone must be before it
// is pruned. It bounds how long a commit may take between writing its
// entry and writing its session, and the clock skew between app instances
// that share a store, with a wide margin.
const indexGrace = time.Minute

// migrateLua converts an index kept as a set, by earlier versions, into
// the hash of today, each member with the oldest stamp.
const migrateLua = `
if redis.call('TYPE', KEYS[1]).ok == 'set' then
  local members = redis.call('SMEMBERS', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1])
  for _, m in ipairs(members) do redis.call('HSET', KEYS[1], m, '0-0') end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
`

// migrateScript is migrateLua alone. KEYS[1] user index.
var migrateScript = redis.NewScript(migrateLua + "return 1")

// nowLua sets now to the Redis server's time in Unix ms, so stamps are
// written and aged on one clock, the index node's, whatever the clocks of
// the app instances say.
const nowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// indexScript lists a session under its user, keeps the index alive at
// least as long as the session (and a while even for an expired one),
// and returns the entry's stamp.
//
// KEYS[1] user index. ARGV: 1 session key, 2 random part of the stamp,
// 3 expiry ms.
var indexScript = redis.NewScript(migrateLua + nowLua + `
local stamp = now .. '-' .. ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], stamp)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
local want = tonumber(ARGV[3]) - now
if want > ttl then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
elseif ttl == 0 then
  redis.call('PEXPIRE', KEYS[1], 120000)
end
return stamp
`)

// unindexScript removes entries that still carry the given stamps; with
// ARGV[1] = "old", only those older than ARGV[2] ms by the server's clock.
//
// KEYS[1] user index. ARGV: 1 "old" or "any", 2 grace ms, then pairs of
// session key and stamp.
var unindexScript = redis.NewScript(migrateLua + nowLua + `
for i = 3, #ARGV, 2 do
  local st = redis.call('HGET', KEYS[1], ARGV[i])
  if st == ARGV[i + 1] then
    local ms = tonumber(string.match(st, '^%d+')) or 0
    if ARGV[1] == 'any' or now - ms > tonumber(ARGV[2]) then
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
  end
end
return 1
`)

// index writes key's entry under userID and returns its stamp: the index
// node's time in Unix ms and a random part, unique per commit.
func (s *Store) index(ctx context.Context, userID, key string, expiry time.Time) (string, error) {
	var b [6]byte
	rand.Read(b[:])
	return s.run(ctx, indexScript, s.userPfx+userID, key, hex.EncodeToString(b[:]), expiry.UnixMilli()).Text()
}

// unindex removes the entries of stamps (session key to stamp) from
// userID's index, each only if it still carries that stamp and, when
// onlyOld, is older than indexGrace.
func (s *Store) unindex(ctx context.Context, userID string, stamps map[string]string, onlyOld bool) error {
	if userID == "" || len(stamps) == 0 {
		return nil
	}
	mode := "any"
	if onlyOld {
		mode = "old"
	}
	args := make([]any, 0, 2+2*len(stamps))
	args = append(args, mode, indexGrace.Milliseconds())
	for k, st := range stamps {
		args = append(args, k, st)
	}
	return unindexScript.Run(ctx, s.client, []string{s.userPfx + userID}, args...).Err()
}

// entries reads userID's index, converting it first if an earlier
// version kept it as a set.
func (s *Store) entries(ctx context.Context, userID string) (map[string]string, error) {
	idx := s.userPfx + userID
	m, err := s.client.HGetAll(ctx, idx).Result()
	if err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") {
		if err = migrateScript.Run(ctx, s.client, []string{idx}).Err(); err == nil {
			m, err = s.client.HGetAll(ctx, idx).Result()
		}
	}
	return m, err
}

// UserSessions implements session.Store: the index, then each listed
// session, in one pipeline. Entries proven stale are pruned.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	entries, err := s.entries(ctx, userID)
	if err != nil {
		return nil, wrap(ctx, "user sessions", err)
	}
	keys, reads := s.readAll(ctx, entries)
	now := time.Now()
	var live []string
	prune := map[string]string{}
	for i, k := range keys {
		f, err := reads[i].Result()
		if err != nil {
			return nil, wrap(ctx, "user sessions", err)
		}
		u, _ := f[0].(string)
		switch {
		case u != userID: // gone or another user's: stale once old enough
			prune[k] = entries[k]
		case unexpired(f, now):
			live = append(live, k)
		}
	}
	if err := s.unindex(ctx, userID, prune, true); err != nil {
		return nil, wrap(ctx, "user sessions", err)
	}
	return live, nil
}

// readAll reads the user and expiry of every session listed in entries.
func (s *Store) readAll(ctx context.Context, entries map[string]string) ([]string, []*redis.SliceCmd) {
	keys := make([]string, 0, len(entries))
	reads := make([]*redis.SliceCmd, 0, len(entries))
	// Each command's own error is read by the caller.
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k := range entries {
			keys = append(keys, k)
			reads = append(reads, p.HMGet(ctx, s.sessPfx+k, fUser, fExpiry))
		}
		return nil
	})
	return keys, reads
}

// unexpired reports whether the expiry HMGET u e read is still ahead. An
// expired session is left to Redis's TTL, then pruned as gone.
func unexpired(f []any, now time.Time) bool {
	e, _ := f[1].(string)
	ms, err := strconv.ParseInt(e, 10, 64)
	return err == nil && ms > now.UnixMilli()
}

// DeleteUserSessions implements session.Store: every listed session of
// userID except keep is deleted, each atomically and only while it is
// still the user's, in one pipeline. Expired sessions still stored are
// deleted but not counted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if userID == "" {
		return 0, nil
	}
	entries, err := s.entries(ctx, userID)
	if err != nil {
		return 0, wrap(ctx, "delete user sessions", err)
	}
	delete(entries, keep)
	keys, dels, err := s.deleteAll(ctx, entries, userID)
	if err != nil {
		return 0, wrap(ctx, "delete user sessions", err)
	}
	now := time.Now()
	n, unlist, prune := 0, map[string]string{}, map[string]string{}
	for i, k := range keys {
		gone, err := parseDeleted(dels[i])
		switch {
		case err != nil:
			return n, wrap(ctx, "delete user sessions", err)
		case gone != nil:
			unlist[k] = gone.stamp
			if gone.expiry > now.UnixMilli() {
				n++
			}
		default: // gone or another user's: stale once old enough
			prune[k] = entries[k]
		}
	}
	if err := s.unindex(ctx, userID, unlist, false); err != nil {
		return n, wrap(ctx, "delete user sessions", err)
	}
	if err := s.unindex(ctx, userID, prune, true); err != nil {
		return n, wrap(ctx, "delete user sessions", err)
	}
	return n, nil
}

// deleteAll deletes every session listed in entries that is userID's,
// in one pipeline per connection: one in all, or with WaitReplicas on a
// cluster, one per master, each ending in WAIT. The script goes as EVAL:
// a pipeline cannot fall back from EVALSHA.
func (s *Store) deleteAll(ctx context.Context, entries map[string]string, userID string) ([]string, []*redis.Cmd, error) {
	groups := map[redis.UniversalClient][]string{}
	for k := range entries {
		c := s.client
		if s.waitReplicas > 0 {
			var err error
			if c, err = s.conn(ctx, s.sessPfx+k); err != nil {
				return nil, nil, err
			}
		}
		groups[c] = append(groups[c], k)
	}
	keys := make([]string, 0, len(entries))
	dels := make([]*redis.Cmd, 0, len(entries))
	var waitErr error
	for c, ks := range groups {
		var wait *redis.Cmd
		// Each command's own error is read by the caller.
		_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range ks {
				keys = append(keys, k)
				dels = append(dels, deleteScript.Eval(ctx, p, []string{s.sessPfx + k}, userID, s.alwaysWrite()))
			}
			wait = s.wait(ctx, p)
			return nil
		})
		// A master whose replicas fell short does not stop the others'
		// deletes: every session that can go goes, then the error.
		if err := s.waited(wait); err != nil && waitErr == nil {
			waitErr = err
		}
	}
	if waitErr != nil {
		return nil, nil, waitErr
	}
	return keys, dels, nil
}

// deleted is what deleteScript reports of the session it deleted.
type deleted struct {
	user, stamp string
	expiry      int64
}

// parseDeleted reads deleteScript's reply: nil when nothing was deleted.
func parseDeleted(cmd *redis.Cmd) (*deleted, error) {
	f, err := cmd.StringSlice()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(f) != 3 {
		return nil, errors.New("redisstore: unexpected reply from the delete script")
	}
	ms, _ := strconv.ParseInt(f[2], 10, 64)
	return &deleted{user: f[0], stamp: f[1], expiry: ms}, nil
}
