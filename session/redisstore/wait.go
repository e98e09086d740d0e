// This file holds Config.WaitReplicas: the Redis WAIT that follows each
// write a failover must not lose, sent on the connection that made the
// write, in one pipeline with it.

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultWaitTimeout bounds each WAIT when Config.WaitTimeout is zero.
const DefaultWaitTimeout = time.Second

// ErrNotReplicated is wrapped by the error of a write that fewer than
// Config.WaitReplicas replicas acknowledged in time. The master applied
// the write, so it is visible now, but a failover may or may not keep it:
// the caller must treat its outcome as unknown (the Manager answers 503).
var ErrNotReplicated = errors.New("redisstore: write not acknowledged by enough replicas; it may or may not survive a failover")

// run runs script on key. With WaitReplicas set, the script goes as EVAL
// (a pipeline cannot fall back from EVALSHA) followed by WAIT on the same
// connection, and a WAIT that falls short becomes the command's error.
func (s *Store) run(ctx context.Context, script *redis.Script, key string, args ...any) *redis.Cmd {
	if s.waitReplicas == 0 {
		return script.Run(ctx, s.client, []string{key}, args...)
	}
	c, err := s.conn(ctx, key)
	if err != nil {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	var cmd *redis.Cmd
	var wait *redis.Cmd
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmd = script.Eval(ctx, p, []string{key}, args...)
		wait = s.wait(ctx, p)
		return nil
	})
	// redis.Nil is a script that returned nil, which may still have written.
	if err := cmd.Err(); err == nil || errors.Is(err, redis.Nil) {
		if werr := s.waited(wait); werr != nil {
			cmd.SetErr(werr)
		}
	}
	return cmd
}

// conn returns the client whose connection writes key: on a Redis Cluster
// the master serving key's slot, because WAIT names no key and a cluster
// pipeline could not route it there; else the Store's client. (So with
// WaitReplicas a slot that moves gives a MOVED error, a 503, until
// go-redis reloads the slot map, instead of being followed.)
func (s *Store) conn(ctx context.Context, key string) (redis.UniversalClient, error) {
	if c, ok := s.client.(*redis.ClusterClient); ok {
		return c.MasterForKey(ctx, key)
	}
	return s.client, nil
}

// wait queues WAIT on p when WaitReplicas is set, else returns nil. Its
// timeout is WaitTimeout, cut to leave a tenth of the time to ctx's
// deadline for the reply, and at least 1 ms (WAIT 0 blocks forever).
func (s *Store) wait(ctx context.Context, p redis.Pipeliner) *redis.Cmd {
	if s.waitReplicas == 0 {
		return nil
	}
	timeout := s.waitTimeout
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left-left/10 < timeout {
			timeout = left - left/10
		}
	}
	// Pipeliner lacks Wait; the reply is read within the client's
	// ReadTimeout, which New checks is longer.
	return p.Do(ctx, "WAIT", s.waitReplicas, max(timeout, time.Millisecond).Milliseconds())
}

// waited reports whether the WAIT that wait queued saw enough replicas.
func (s *Store) waited(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("%w: WAIT: %w", ErrNotReplicated, err)
	}
	if n < int64(s.waitReplicas) {
		return fmt.Errorf("%d of %d replicas acknowledged the write in time: %w", n, s.waitReplicas, ErrNotReplicated)
	}
	return nil
}
