// Package redisstore keeps sessions in Redis through
// github.com/redis/go-redis/v9: the store for many app instances behind a
// load balancer.
//
// # Threat model
//
// Redis holds authentication state. Keys are what the session Manager
// passes: the hex SHA-256 of each session ID, never the ID itself, so a
// MONITOR session, a replica or an RDB dump yields no cookie an attacker
// could replay. An expired session is never returned: Redis deletes it at
// its expiry (PEXPIREAT) and Find checks the stored expiry against the
// app's clock too. Commits are compare-and-swap on a version field inside
// one Lua script, so a slow request cannot overwrite a newer commit. Data
// that does not decode is treated as no session and logged. Protect Redis
// as a credential store: require a password or ACL user, bind it to a
// private network and use TLS (set on the redis.Options you pass).
//
// # Layout
//
// With the default prefix "bulwark:session:" a session is a hash at
// bulwark:session:s:<key> with fields d (data), u (user), v (version) and
// e (expiry, Unix ms), and each user's index is a set at
// bulwark:session:u:<user id>. Find is one HMGET; Commit, Delete,
// UserSessions and DeleteUserSessions are each one EVALSHA (EVAL when the
// script is not cached yet). Index members whose session expired or moved
// to another user are pruned when the index is read; the set itself
// expires with the last of its sessions.
//
// The scripts touch keys derived from their arguments, so on Redis Cluster
// every key must live on one node: put a hash tag in the prefix
// ("{bulwark}:session:"). The store is tested on a single Redis server.
//
// # Usage
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	st, err := redisstore.New(redisstore.Config{Client: rdb})
//	if err != nil { ... }
//	mgr, err := session.New(session.Config{Store: st})
//
// A Store is safe for concurrent use and starts no goroutines.
package redisstore
