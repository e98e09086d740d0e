// This file holds the Redis Store: configuration, the Lua scripts and the
// session.Store methods.

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bulwark-go/bulwark/session"
)

// DefaultPrefix is the key prefix used when Config.Prefix is empty.
const DefaultPrefix = "bulwark:session:"

// Config configures a Store.
type Config struct {
	// Client is the Redis connection (a *redis.Client, *redis.Ring or a
	// failover client). Required. The Store never closes it.
	//
	// Its options must set ContextTimeoutEnabled: true (New checks this
	// for *redis.Client, *redis.ClusterClient and *redis.Ring), because
	// otherwise go-redis applies only its own Read/WriteTimeout to socket
	// I/O and a hung Redis would hold each request past its deadline.
	Client redis.UniversalClient

	// Prefix starts every key the store writes, default DefaultPrefix.
	// Sessions live at Prefix+"s:"+key (a hash) and each user's index at
	// Prefix+"u:"+userID (a set). Give each app, or each test, its own.
	Prefix string

	// Logger receives one line per corrupt session. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Store is a session.Store on Redis. It is safe for concurrent use, by
// any number of Stores in any number of processes sharing one Redis and
// prefix. It starts no goroutines and needs no Close: Redis expires
// sessions itself.
type Store struct {
	client   redis.UniversalClient
	sessPfx  string // Prefix + "s:"
	userPfx  string // Prefix + "u:"
	log      *slog.Logger
	findKeys []string
}

// New returns a Store using cfg.Client. It does not contact Redis; the
// scripts are loaded on first use.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("redisstore: Config.Client is nil; pass a *redis.Client from redis.NewClient")
	}
	if !contextTimeouts(cfg.Client) {
		return nil, errors.New("redisstore: the client ignores context deadlines; set ContextTimeoutEnabled: true in its redis.Options so a slow Redis cannot hold a request past its deadline")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Store{
		client:  cfg.Client,
		sessPfx: cfg.Prefix + "s:",
		userPfx: cfg.Prefix + "u:",
		log:     cfg.Logger,
	}, nil
}

// contextTimeouts reports whether the client applies context deadlines to
// its socket I/O, for the client types whose options can be read.
func contextTimeouts(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

// Session hash fields: data, user, version, expiry (Unix ms).
const (
	fData    = "d"
	fUser    = "u"
	fVersion = "v"
	fExpiry  = "e"
)

// commitScript is the compare-and-swap commit.
//
// KEYS[1] session hash. ARGV: 1 expected version ("0": absent), 2 data,
// 3 user, 4 expiry ms, 5 user-index prefix, 6 key, 7 new version, 8 now ms
// (read only when ARGV[3] is not empty).
// Returns 1 on success, 0 on a version mismatch.
var commitScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'u')
if ARGV[1] == '0' then
  if cur[1] then return 0 end
elseif cur[1] ~= ARGV[1] then
  return 0
end
local old = cur[2]
if old and old ~= '' and old ~= ARGV[3] then
  redis.call('SREM', ARGV[5] .. old, ARGV[6])
end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'u', ARGV[3], 'v', ARGV[7], 'e', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
local want = tonumber(ARGV[4]) - tonumber(ARGV[8])
if ARGV[3] ~= '' and want > 0 then
  local idx = ARGV[5] .. ARGV[3]
  redis.call('SADD', idx, ARGV[6])
  local ttl = redis.call('PTTL', idx)
  if ttl < want then
    redis.call('PEXPIREAT', idx, ARGV[4])
  end
end
return 1
`)

// deleteScript removes a session and its index entry.
//
// KEYS[1] session hash. ARGV: 1 user-index prefix, 2 key.
var deleteScript = redis.NewScript(`
local u = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
if u and u ~= '' then
  redis.call('SREM', ARGV[1] .. u, ARGV[2])
end
return 1
`)

// userSessionsScript lists a user's live sessions and prunes index
// members whose session expired, was deleted or now belongs to another
// user.
//
// KEYS[1] user index. ARGV: 1 session prefix, 2 user, 3 now ms.
var userSessionsScript = redis.NewScript(`
local live = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. m, 'u', 'e')
  if f[1] ~= ARGV[2] then
    redis.call('SREM', KEYS[1], m)
  elseif tonumber(f[2]) and tonumber(f[2]) > tonumber(ARGV[3]) then
    live[#live + 1] = m
  end
end
return live
`)

// deleteUserScript deletes a user's sessions except one and returns how
// many live ones it deleted.
//
// KEYS[1] user index. ARGV: 1 session prefix, 2 user, 3 keep, 4 now ms.
var deleteUserScript = redis.NewScript(`
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sk = ARGV[1] .. m
  local f = redis.call('HMGET', sk, 'u', 'e')
  if f[1] ~= ARGV[2] then
    redis.call('SREM', KEYS[1], m)
  elseif m ~= ARGV[3] then
    redis.call('DEL', sk)
    redis.call('SREM', KEYS[1], m)
    if tonumber(f[2]) and tonumber(f[2]) > tonumber(ARGV[4]) then n = n + 1 end
  end
end
return n
`)

// Find implements session.Store with one HMGET.
func (s *Store) Find(ctx context.Context, key string) (session.Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return session.Record{}, false, err
	}
	res, err := s.client.HMGet(ctx, s.sessPfx+key, fData, fUser, fVersion, fExpiry).Result()
	if err != nil {
		return session.Record{}, false, wrap(ctx, "find", err)
	}
	if len(res) != 4 || res[0] == nil {
		return session.Record{}, false, nil
	}
	data, _ := res[0].(string)
	user, _ := res[1].(string)
	vs, _ := res[2].(string)
	es, _ := res[3].(string)
	version, verr := strconv.ParseUint(vs, 10, 64)
	expiry, eerr := strconv.ParseInt(es, 10, 64)
	values, derr := session.DecodeValues([]byte(data))
	if verr != nil || eerr != nil || derr != nil || version == 0 {
		s.log.Warn("redisstore: corrupt session treated as missing", "reason", "corrupt")
		return session.Record{}, false, nil
	}
	// Redis expires the key on its own clock; this check keeps the
	// contract on ours too.
	if expiry <= time.Now().UnixMilli() {
		return session.Record{}, false, nil
	}
	return session.Record{Values: values, UserID: user, Version: version, Expiry: time.UnixMilli(expiry)}, true, nil
}

// Commit implements session.Store with one script call (EVALSHA, falling
// back to EVAL when Redis does not have the script cached).
func (s *Store) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	next := rec.Version + 1
	if next == 0 {
		return 0, session.ErrConflict
	}
	// The current time only matters for the user index's TTL; an
	// anonymous session has no index entry. Numbers go to go-redis
	// unformatted: it writes them in decimal without allocating.
	var nowMs int64
	if rec.UserID != "" {
		nowMs = time.Now().UnixMilli()
	}
	n, err := commitScript.Run(ctx, s.client, []string{s.sessPfx + key},
		rec.Version,
		session.EncodeValues(rec.Values),
		rec.UserID,
		rec.Expiry.UnixMilli(),
		s.userPfx,
		key,
		next,
		nowMs,
	).Int()
	if err != nil {
		return 0, wrap(ctx, "commit", err)
	}
	if n != 1 {
		return 0, session.ErrConflict
	}
	return next, nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := deleteScript.Run(ctx, s.client, []string{s.sessPfx + key}, s.userPfx, key).Err(); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// UserSessions implements session.Store. It reads the user's index set and
// prunes members that are no longer the user's live sessions.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	keys, err := userSessionsScript.Run(ctx, s.client, []string{s.userPfx + userID},
		s.sessPfx, userID, strconv.FormatInt(time.Now().UnixMilli(), 10)).StringSlice()
	if err != nil {
		return nil, wrap(ctx, "user sessions", err)
	}
	return keys, nil
}

// DeleteUserSessions implements session.Store, atomically. Expired
// sessions still listed are removed but not counted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if userID == "" {
		return 0, nil
	}
	n, err := deleteUserScript.Run(ctx, s.client, []string{s.userPfx + userID},
		s.sessPfx, userID, keep, strconv.FormatInt(time.Now().UnixMilli(), 10)).Int()
	if err != nil {
		return 0, wrap(ctx, "delete user sessions", err)
	}
	return n, nil
}

// wrap adds the package and operation to err, and the context's error when
// the failure came from it, so errors.Is(err, context.DeadlineExceeded)
// holds whichever layer noticed first.
func wrap(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The socket deadline (set from ctx) fired a moment before the
		// context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisstore: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}
