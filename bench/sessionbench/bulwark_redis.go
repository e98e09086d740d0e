package sessionbench

import (
	"context"
	"fmt"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/redisstore"
	"github.com/redis/go-redis/v9"
)

func init() {
	bulwarkStores["redis"] = func(env Env) (session.Store, func(), error) {
		if env.RedisAddr == "" {
			return nil, nil, ErrSkip
		}
		client := redis.NewClient(&redis.Options{Addr: env.RedisAddr, ContextTimeoutEnabled: true})
		if err := client.Ping(context.Background()).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("redis at %s: %w", env.RedisAddr, err)
		}
		prefix := "bulwark-bench:bulwark:" + unique() + ":"
		st, err := redisstore.New(redisstore.Config{Client: client, Prefix: prefix})
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		return st, func() {
			deletePrefix(client, prefix)
			client.Close()
		}, nil
	}
}
