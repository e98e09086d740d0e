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
	// Client is the Redis connection (a *redis.Client, a
	// *redis.ClusterClient, a *redis.Ring or a failover client). Required. The Store never closes it.
	//
	// Its options must set ContextTimeoutEnabled: true (New checks this
	// for *redis.Client, *redis.ClusterClient and *redis.Ring), because
	// otherwise go-redis applies only its own Read/WriteTimeout to socket
	// I/O and a hung Redis would hold each request past its deadline.
	Client redis.UniversalClient

	// Prefix starts every key the store writes, default DefaultPrefix.
	// Sessions live at Prefix+"s:"+key (a hash) and each user's index at
	// Prefix+"u:"+userID (a hash from session key to stamp; see the
	// package doc). Give each app, or each test, its own.
	Prefix string

	// WaitReplicas, when above zero, makes every write a failover must
	// not lose wait until that many replicas have acknowledged it (Redis
	// WAIT, on the connection that wrote, in one pipeline with the
	// write): a commit and its user-index entry, a Delete, the deletes of
	// DeleteUserSessions. A lost delete would bring a logged-out session
	// back, so deletes wait too. A write that too few replicas
	// acknowledged returns an error wrapping ErrNotReplicated (the
	// Manager answers 503); it may or may not survive a failover. Zero,
	// the default, waits for nothing: a failover can lose writes the app
	// already acknowledged. Not supported on a *redis.Ring.
	WaitReplicas int

	// WaitTimeout bounds each WAIT, default DefaultWaitTimeout (1 s), and
	// never runs past the context's deadline. It must be below the
	// client's ReadTimeout, which bounds the pipeline's reply; New checks
	// this.
	WaitTimeout time.Duration

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

	waitReplicas int           // Config.WaitReplicas
	waitTimeout  time.Duration // Config.WaitTimeout, defaulted
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
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	if err := checkWait(cfg); err != nil {
		return nil, err
	}
	return &Store{
		client:       cfg.Client,
		sessPfx:      cfg.Prefix + "s:",
		userPfx:      cfg.Prefix + "u:",
		log:          cfg.Logger,
		waitReplicas: cfg.WaitReplicas,
		waitTimeout:  cfg.WaitTimeout,
	}, nil
}

// checkWait validates WaitReplicas and WaitTimeout against the client.
func checkWait(cfg Config) error {
	if cfg.WaitReplicas < 0 || cfg.WaitTimeout < 0 {
		return fmt.Errorf("redisstore: WaitReplicas %d and WaitTimeout %v must not be negative", cfg.WaitReplicas, cfg.WaitTimeout)
	}
	if cfg.WaitReplicas == 0 {
		return nil
	}
	var read time.Duration
	switch c := cfg.Client.(type) {
	case *redis.Client:
		read = c.Options().ReadTimeout
	case *redis.ClusterClient:
		read = c.Options().ReadTimeout
	case *redis.Ring:
		return errors.New("redisstore: WaitReplicas is not supported on a *redis.Ring; use a *redis.Client (or a failover client) or a *redis.ClusterClient")
	}
	if read > 0 && cfg.WaitTimeout >= read {
		return fmt.Errorf("redisstore: WaitTimeout %v must be below the client's ReadTimeout %v, or the reply to WAIT times out first", cfg.WaitTimeout, read)
	}
	return nil
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

// Session hash fields: data, user, version, expiry (Unix ms), and the
// stamp of the user-index entry the last commit wrote (see index.go).
const (
	fData    = "d"
	fUser    = "u"
	fVersion = "v"
	fExpiry  = "e"
	fStamp   = "i"
)

// commitScript is the compare-and-swap commit. It touches only its own
// key, so it runs on any Redis Cluster node.
//
// KEYS[1] session hash. ARGV: 1 expected version ("0": absent), 2 data,
// 3 user, 4 expiry ms, 5 new version, 6 index stamp ("" when anonymous).
// Returns 1 on success, 0 on a version mismatch.
var commitScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '0' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'u', ARGV[3], 'v', ARGV[5], 'e', ARGV[4], 'i', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`)

// deleteScript removes a session, when ARGV[1] is empty or names its
// user, and returns its user, index stamp and expiry (nil when nothing
// was deleted).
//
// With ARGV[2] = "1" (Config.WaitReplicas), a call that finds no session
// still writes: it sets and removes the key. WAIT waits only for the
// writes of its own connection, so after a call that wrote nothing it
// would return at once, even while an earlier delete of this session (a
// logout answered 503 and retried, or go-redis retrying a pipeline) has
// not reached the replicas.
//
// KEYS[1] session hash. ARGV: 1 required user ("" for any), 2 "1" to write
// even when there is nothing to delete.
var deleteScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'u', 'i', 'e')
if (ARGV[1] == '' or f[1] == ARGV[1]) and redis.call('DEL', KEYS[1]) == 1 then
  if not f[1] then return nil end
  return {f[1], f[2] or '', f[3] or ''}
end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], '')
  redis.call('DEL', KEYS[1])
end
return nil
`)

// alwaysWrite is deleteScript's ARGV[2].
func (s *Store) alwaysWrite() string {
	if s.waitReplicas > 0 {
		return "1"
	}
	return ""
}

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
// back to EVAL when Redis does not have the script cached). A session
// bound to a user first writes its user-index entry (index.go), one more
// round trip, so that the index never lacks a live session.
func (s *Store) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	next := rec.Version + 1
	if next == 0 {
		return 0, session.ErrConflict
	}
	var stamp string
	if rec.UserID != "" {
		listed := time.Now()
		var err error
		if stamp, err = s.index(ctx, rec.UserID, key, rec.Expiry); err != nil {
			return 0, wrap(ctx, "commit", err)
		}
		// An entry may be pruned once older than indexGrace while its
		// session is not written yet; a commit that stalled this long
		// gives up rather than risk writing an unlisted session.
		if time.Since(listed) > indexGrace/2 {
			return 0, fmt.Errorf("redisstore: commit: the user index write took over %v", indexGrace/2)
		}
	}
	// Numbers go to go-redis unformatted: it writes them in decimal
	// without allocating.
	n, err := s.run(ctx, commitScript, s.sessPfx+key,
		rec.Version,
		session.EncodeValues(rec.Values),
		rec.UserID,
		rec.Expiry.UnixMilli(),
		next,
		stamp,
	).Int()
	if err != nil {
		return 0, wrap(ctx, "commit", err)
	}
	if n != 1 {
		return 0, session.ErrConflict
	}
	return next, nil
}

// Delete implements session.Store: the session first, then its entry in
// its user's index.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	gone, err := parseDeleted(s.run(ctx, deleteScript, s.sessPfx+key, "", s.alwaysWrite()))
	if err == nil && gone != nil {
		err = s.unindex(ctx, gone.user, map[string]string{key: gone.stamp}, false)
	}
	if err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
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
