// Package redislimit is an auth.Limiter on Redis, so every instance of an
// app shares one count of failed logins per username and per address.
//
// Each key is a small Redis hash (failure count and the instant before
// which no attempt is allowed) that expires Backoff.Forget after its last
// failure. Updates run as Lua scripts, so concurrent failures from many
// instances are counted exactly, and all instants come from the Redis
// server's clock (TIME), so instances with skewed clocks agree.
//
// Keys are the Authenticator's throttling keys ("user:" plus a digest of
// the username, "addr:" plus an address or IPv6 /64) under Config.Prefix;
// they hold no usernames. If Redis is unreachable the Authenticator fails
// closed: logins are refused with 503 until it is back.
package redislimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/redis/go-redis/v9"
)

// Config configures New.
type Config struct {
	// Client is the Redis client. Required.
	Client redis.UniversalClient
	// Prefix is prepended to every key. Default "bulwark:auth:limit:". Use
	// different prefixes for the username and the address limiter.
	Prefix string
	// Backoff is the policy; zero fields take auth's defaults.
	Backoff auth.Backoff
}

// Limiter is an auth.Limiter on Redis. It is safe for concurrent use and
// holds no goroutines (Redis expires keys itself).
type Limiter struct {
	c      redis.UniversalClient
	prefix string
	b      auth.Backoff
}

// New validates cfg and returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	if cfg.Client == nil {
		return nil, errors.New("redislimit: Config.Client is nil: pass a *redis.Client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "bulwark:auth:limit:"
	}
	b, err := cfg.Backoff.WithDefaults()
	if err != nil {
		return nil, err
	}
	return &Limiter{c: cfg.Client, prefix: cfg.Prefix, b: b}, nil
}

const nowLua = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

var failScript = redis.NewScript(nowLua + `
local free, base, maxd, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local wait = 0
if n > free then
  wait = base
  for i = 2, n - free do
    if wait >= maxd then break end
    wait = wait * 2
  end
  if wait > maxd then wait = maxd end
end
redis.call('HSET', KEYS[1], 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], forget)
return wait
`)

var waitScript = redis.NewScript(nowLua + `
local u = redis.call('HGET', KEYS[1], 'until')
if not u then return 0 end
local w = tonumber(u) - now
if w < 0 then return 0 end
return w
`)

// Wait implements auth.Limiter.
func (l *Limiter) Wait(ctx context.Context, key string) (time.Duration, error) {
	ms, err := waitScript.Run(ctx, l.c, []string{l.prefix + key}).Int64()
	if err != nil {
		return 0, fmt.Errorf("redislimit: wait: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Fail implements auth.Limiter.
func (l *Limiter) Fail(ctx context.Context, key string) (time.Duration, error) {
	ms, err := failScript.Run(ctx, l.c, []string{l.prefix + key},
		l.b.Free, l.b.Base.Milliseconds(), l.b.Max.Milliseconds(), l.b.Forget.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redislimit: fail: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Reset implements auth.Limiter.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.c.Del(ctx, l.prefix+key).Err(); err != nil {
		return fmt.Errorf("redislimit: reset: %w", err)
	}
	return nil
}

var _ auth.Limiter = (*Limiter)(nil)
