// This file finds the real servers that store tests run against.

package storetest

import (
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// RedisAddr returns the Redis address from BULWARK_REDIS_ADDR.
//
// When the variable is unset the test is skipped, unless CI is "true", in
// which case the default 127.0.0.1:6379 is used. A server that does not
// accept a TCP connection within two seconds fails the test.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return service(t, "BULWARK_REDIS_ADDR", "127.0.0.1:6379", func(v string) string { return v })
}

// RedisClusterAddrs returns the seed addresses of a Redis Cluster from
// BULWARK_REDIS_CLUSTER (comma-separated), with the same skip and failure
// rules as RedisAddr (default 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
// under CI, the cluster scripts/redis-cluster starts). Only the first
// address is dialled here; the client finds the others.
func RedisClusterAddrs(t testing.TB) []string {
	t.Helper()
	v := service(t, "BULWARK_REDIS_CLUSTER", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003", func(v string) string {
		first, _, _ := strings.Cut(v, ",")
		return first
	})
	return strings.Split(v, ",")
}

// RedisSentinel returns the addresses of Redis Sentinels from
// BULWARK_REDIS_SENTINEL (comma-separated) and the name of the master
// they monitor from BULWARK_REDIS_SENTINEL_MASTER (default "bulwark"),
// with the same skip and failure rules as RedisAddr (default
// 127.0.0.1:26379 under CI, the sentinel scripts/redis-sentinel starts).
// Only the first address is dialled here.
func RedisSentinel(t testing.TB) (addrs []string, master string) {
	t.Helper()
	v := service(t, "BULWARK_REDIS_SENTINEL", "127.0.0.1:26379", func(v string) string {
		first, _, _ := strings.Cut(v, ",")
		return first
	})
	master = os.Getenv("BULWARK_REDIS_SENTINEL_MASTER")
	if master == "" {
		master = "bulwark"
	}
	return strings.Split(v, ","), master
}

// PostgresDSN returns the PostgreSQL connection URL from BULWARK_PG_DSN,
// with the same skip and failure rules as RedisAddr (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable under CI).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return service(t, "BULWARK_PG_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", pgHostPort)
}

func service(t testing.TB, env, def string, hostPort func(string) string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") != "true" {
			t.Skipf("%s is not set; set it to run this test against a real server", env)
		}
		v = def
	}
	addr := hostPort(v)
	if addr == "" {
		return v // let the driver report what it cannot parse
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("%s=%q: server not reachable: %v", env, v, err)
	}
	c.Close()
	return v
}

// pgHostPort extracts host:port from a postgres:// URL, or "" when the DSN
// has another form (the driver then reports what it cannot parse).
func pgHostPort(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return ""
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "5432")
	}
	return u.Host
}
