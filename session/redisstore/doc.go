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
// bulwark:session:s:<key> with fields d (data), u (user), v (version), e
// (expiry, Unix ms) and i (the stamp of its user-index entry), and each
// user's index is a hash at bulwark:session:u:<user id>, from session key
// to stamp. Find is one HMGET. Commit is one EVALSHA (EVAL when the script
// is not cached yet), preceded for a signed-in session by one more that
// writes its index entry. Delete is one script and one index update.
// UserSessions and DeleteUserSessions read the index, then every listed
// session in one pipeline. The index expires with the last of its
// sessions.
//
// # Redis Cluster
//
// Every script touches exactly one key, so the Store works on Redis
// Cluster (pass a *redis.ClusterClient) with sessions and indexes spread
// over all the nodes; no hash tag is needed. It is tested on a real
// three-master cluster. "Log out everywhere" stays correct across nodes by
// one rule: the index may hold stale entries, but never lacks a live
// session of its user. A commit lists its session before writing it, and
// an entry is removed only when its session was deleted while the entry
// still carried that session's stamp, or when the session has been gone or
// another user's for more than a minute since the entry was written, as
// the index node's clock tells (so that a commit in flight is never
// unlisted; a commit whose index write took over 30 s gives up with an
// error instead). Keys outside Prefix are never read or written. Errors
// from the cluster (a slot not served, CLUSTERDOWN) are store errors: the
// Manager answers 503 and logs the reason once; MOVED and ASK redirections
// are followed by go-redis.
//
// Upgrading: versions before the cluster support kept each user index as a
// set. The Store converts such an index when it next uses it, but an old
// version writing to a converted index fails, so replace every old
// instance before the new ones serve traffic, rather than rolling one by
// one.
//
// # Redis Sentinel
//
// For a master with replicas under Redis Sentinel, pass the client of
// redis.NewFailoverClient (a *redis.Client that asks the sentinels for the
// master and follows a failover without a restart):
//
//	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
//		MasterName:            "bulwark",
//		SentinelAddrs:         []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"},
//		ContextTimeoutEnabled: true,
//	})
//	st, err := redisstore.New(redisstore.Config{Client: rdb, WaitReplicas: 1})
//
// Redis replicates asynchronously: a write the master acknowledged, and
// the app with it, may not have reached the replica that a failover
// promotes, and is then lost. A lost commit is a lost change; a lost
// delete brings a logged-out session back. Config.WaitReplicas closes
// that gap as far as Redis allows: each commit, user-index entry and
// delete is followed by WAIT on the same connection, in one pipeline,
// and succeeds only once that many replicas hold it; otherwise it fails
// with ErrNotReplicated (the Manager answers 503) and may or may not
// survive. The cost is the replica's acknowledgement on every write,
// about one more round trip between master and replica, and 503s while
// too few replicas are connected (in a failover, until the old master
// rejoins as a replica; or while a replica is down).
//
// WAIT does not make Redis strongly consistent. A write survives a
// failover when a replica that acknowledged it is the one promoted. With
// one replica Sentinel can only promote that one, so no acknowledged
// write is lost; with more, set WaitReplicas to their number or accept
// that Sentinel may promote one that had not acknowledged. WAIT persists
// nothing: a master and replicas restarted together without persistence
// lose everything. Reads go to the master and are not affected. On a
// Redis Cluster, WAIT goes to the master of each key, so with
// WaitReplicas a slot that moves answers 503 until go-redis reloads the
// slot map, instead of being followed. Measured with one sentinel, a
// master and one replica on loopback, a forced failover under 16
// concurrent writers lost 1% to 11% of the writes acknowledged during
// the test (56 to 1471 of 7000 to 16000, five runs) without
// WaitReplicas, and none with WaitReplicas: 1.
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
