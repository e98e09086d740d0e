// signer.go holds the csrf cookie's value: base64url(secret || HMAC), signed
// with Config.Key and verified with it or one of Config.PreviousKeys, and
// the cache of recently verified cookies.

package csrf

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	cookieRawLen   = secretLen + sha256.Size  // secret || HMAC
	cookieValueLen = (cookieRawLen*8 + 5) / 6 // base64url without padding: 86
	cookieLabel    = "bulwark csrf c1\x00"    // domain separation for the cookie MAC
	maxSessionLen  = 4096                     // longer session cookies are not bound (rejected)
)

// cookieSigner signs csrf cookies with the current key and verifies them
// with the current key or, failing that, each previous key in order. Each
// key has a pool of HMACs, so signing and verifying do not allocate.
//
// A cookie that verified with the current key is remembered: verifying the
// same value for the same session again skips the HMAC, about 280 ns on
// every request that carries a cookie (measured in bench/; without it the
// GET-with-cookie and valid-POST budgets of docs/benchmarks.md fail). A small
// cache, indexed by a keyed hash of the value, holds the secret of the
// last cookie verified per slot; entries are compared in constant time, so
// the cache accepts exactly what verification with the current key
// accepts (TestCookieVerify and FuzzDecodeCookie verify every cookie twice
// to pin it). A cookie that verified only with a previous key is never
// cached: it is reported stale, and re-signed, every time.
type cookieSigner struct {
	pools []sync.Pool // the current key's first, then each previous key's
	seed  maphash.Seed
	cache [verifiedSlots]atomic.Pointer[verifiedCookie]
}

// verifiedSlots is the number of remembered cookies; maxCachedSession is
// the longest session value cached with one (longer ones are always
// verified), which bounds the cache's memory.
const (
	verifiedSlots    = 512
	maxCachedSession = 512
)

// verifiedCookie is a cookie value that verified with the current key for
// session, and the secret it carries. It is immutable once stored.
type verifiedCookie struct {
	value, session string
	secret         [secretLen]byte
}

// macer is a pooled HMAC-SHA256 with scratch space for its input.
type macer struct {
	h   hash.Hash
	buf [256]byte
	sum [sha256.Size]byte
}

// newCookieSigner returns a signer that signs with key and also accepts
// cookies signed with any of previous. The keys are copied.
func newCookieSigner(key []byte, previous ...[]byte) *cookieSigner {
	c := &cookieSigner{pools: make([]sync.Pool, 1+len(previous)), seed: maphash.MakeSeed()}
	for i, k := range append([][]byte{key}, previous...) {
		k := append([]byte(nil), k...)
		c.pools[i].New = func() any { return &macer{h: hmac.New(sha256.New, k)} }
	}
	return c
}

// mac computes HMAC(key, label || secret || len(session) || session) with
// the key of pool. Binding the session value means a cookie planted by a
// sibling subdomain, or moved from another session, does not verify.
func mac(pool *sync.Pool, secret *[secretLen]byte, session string) [sha256.Size]byte {
	m := pool.Get().(*macer)
	defer pool.Put(m)
	m.h.Reset()
	n := copy(m.buf[:], cookieLabel)
	n += copy(m.buf[n:], secret[:])
	binary.BigEndian.PutUint32(m.buf[n:], uint32(len(session)))
	m.h.Write(m.buf[:n+4])
	for len(session) > 0 {
		k := copy(m.buf[:], session)
		m.h.Write(m.buf[:k])
		session = session[k:]
	}
	m.h.Sum(m.sum[:0])
	return m.sum
}

// encode returns the cookie value for secret bound to session:
// base64url(secret || mac) with the current key.
func (c *cookieSigner) encode(secret *[secretLen]byte, session string) string {
	var raw [cookieRawLen]byte
	copy(raw[:], secret[:])
	sum := mac(&c.pools[0], secret, session)
	copy(raw[secretLen:], sum[:])
	return encodeBase64(raw[:])
}

// verify checks a cookie value, in constant time for each key, and writes
// its secret to dst. stale reports that it verified only with a previous
// key, so it should be re-signed with the current one.
func (c *cookieSigner) verify(dst *[secretLen]byte, value, session string) (ok, stale bool) {
	if len(value) != cookieValueLen || len(session) > maxSessionLen {
		return false, false
	}
	slot := &c.cache[maphash.String(c.seed, value)%verifiedSlots]
	if e := slot.Load(); e != nil && len(e.session) == len(session) &&
		equalCT(e.value, value)&equalCT(e.session, session) == 1 {
		*dst = e.secret
		return true, false
	}
	var raw [cookieRawLen]byte
	if !decodeBase64(raw[:], value) {
		return false, false
	}
	secret := (*[secretLen]byte)(raw[:secretLen])
	for i := range c.pools {
		if sum := mac(&c.pools[i], secret, session); hmac.Equal(sum[:], raw[secretLen:]) {
			if i == 0 && len(session) <= maxCachedSession {
				slot.Store(&verifiedCookie{value: strings.Clone(value), session: strings.Clone(session), secret: *secret})
			}
			*dst = *secret
			return true, i > 0
		}
	}
	return false, false
}

// equalCT returns 1 when a and b, of equal length, are equal, and 0
// otherwise, in time that depends only on the length. It is
// subtle.ConstantTimeCompare for strings, without converting them.
func equalCT(a, b string) int {
	var v byte
	for i := 0; i < len(a) && i < len(b); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0)
}
