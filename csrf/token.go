// token.go holds the secret, the masked token (BREACH-safe one-time pad),
// the signed cookie and the allocation-free base64url codec they share.

package csrf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	secretLen      = 32                                   // bytes of per-client secret
	tokenRawLen    = 2 * secretLen                        // mask || mask XOR secret
	tokenLen       = (tokenRawLen*8 + 5) / 6              // base64url without padding: 86
	cookieRawLen   = secretLen + sha256.Size              // secret || HMAC
	cookieValueLen = (cookieRawLen*8 + 5) / 6             // 86
	cookieLabel    = "bulwark csrf c1\x00"                // domain separation for the cookie MAC; at most 19 bytes, so the MAC input fits one SHA-256 block
	formLabel      = "bulwark csrf per-form token v1\x00" // domain separation for per-form secrets
	maxSessionLen  = 4096                                 // longer session cookies are not bound (rejected)
)

var b64 = base64.RawURLEncoding

// decodeMap maps base64url characters to their 6-bit value, others to 0xff.
var decodeMap = func() (m [256]byte) {
	for i := range m {
		m[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = byte(i)
	}
	return m
}()

// decodeB64 decodes unpadded base64url s into exactly len(dst) bytes without
// allocating. It is strict: the length must be exact, every character must
// be in the alphabet, and unused trailing bits must be zero, so each value
// has one encoding. It works four characters (three bytes) at a time and
// checks validity once at the end.
func decodeB64[T ~string | ~[]byte](dst []byte, s T) bool {
	if len(s) != b64.EncodedLen(len(dst)) {
		return false
	}
	if len(dst) == 64 {
		return decode64((*[64]byte)(dst), s)
	}
	var bad byte // any 0xff from decodeMap sets the top bits
	n, i := 0, 0
	for ; len(s)-i >= 4 && len(dst)-n >= 3; i, n = i+4, n+3 {
		a, b, c, d := decodeMap[s[i]], decodeMap[s[i+1]], decodeMap[s[i+2]], decodeMap[s[i+3]]
		bad |= a | b | c | d
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	var rest uint32 // trailing bits, which must be zero
	switch len(s) - i {
	case 0:
	case 2:
		a, b := decodeMap[s[i]], decodeMap[s[i+1]]
		bad |= a | b
		v := uint32(a)<<6 | uint32(b)
		dst[n] = byte(v >> 4)
		n, rest = n+1, v&0xf
	case 3:
		a, b, c := decodeMap[s[i]], decodeMap[s[i+1]], decodeMap[s[i+2]]
		bad |= a | b | c
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst[n], dst[n+1] = byte(v>>10), byte(v>>2)
		n, rest = n+2, v&0x3
	default:
		return false
	}
	return bad&0xc0 == 0 && rest == 0 && n == len(dst)
}

// decode64 is decodeB64 for the one size tokens and cookies use (64 bytes
// from 86 characters), with constant bounds the compiler can check once.
func decode64[T ~string | ~[]byte](dst *[64]byte, s T) bool {
	if len(s) != 86 {
		return false
	}
	var bad byte
	for k := 0; k < 21; k++ {
		a, b, c, d := decodeMap[s[4*k]], decodeMap[s[4*k+1]], decodeMap[s[4*k+2]], decodeMap[s[4*k+3]]
		bad |= a | b | c | d
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[3*k], dst[3*k+1], dst[3*k+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	a, b := decodeMap[s[84]], decodeMap[s[85]]
	bad |= a | b
	v := uint32(a)<<6 | uint32(b)
	dst[63] = byte(v >> 4)
	return bad&0xc0 == 0 && v&0xf == 0
}

// newSecret fills s from crypto/rand.
func newSecret(s *[secretLen]byte) {
	// crypto/rand.Read never returns an error since Go 1.24; it crashes the
	// program instead of returning predictable bytes.
	_, _ = rand.Read(s[:])
}

// maskToken returns base64url(mask || mask XOR secret) with a fresh random
// mask, so every rendering differs (defeating BREACH-style compression
// oracles) while all of them verify.
func maskToken(secret *[secretLen]byte) string {
	var raw [tokenRawLen]byte
	_, _ = rand.Read(raw[:secretLen])
	subtle.XORBytes(raw[secretLen:], raw[:secretLen], secret[:])
	var out [tokenLen]byte
	b64.Encode(out[:], raw[:])
	return string(out[:])
}

// unmaskToken decodes tok and writes the secret it carries to dst. It checks
// the length before decoding anything.
func unmaskToken[T ~string | ~[]byte](dst *[secretLen]byte, tok T) bool {
	if len(tok) != tokenLen {
		return false
	}
	var raw [tokenRawLen]byte
	if !decodeB64(raw[:], tok) {
		return false
	}
	subtle.XORBytes(dst[:], raw[:secretLen], raw[secretLen:])
	return true
}

// formSecret derives the per-form secret bound to method and path.
func formSecret(dst, secret *[secretLen]byte, method, path string) {
	m := hmac.New(sha256.New, secret[:])
	m.Write([]byte(formLabel))
	m.Write([]byte(method))
	m.Write([]byte{0})
	m.Write([]byte(path))
	m.Sum(dst[:0])
}

// macer is a pooled HMAC-SHA256 keyed with Config.Key (or one of
// Config.PreviousKeys), with scratch space so signing a cookie does not
// allocate.
type macer struct {
	h   hash.Hash
	buf [256]byte
	sum [sha256.Size]byte
}

// cookieSigner signs csrf cookies with the current key and verifies them
// with the current key or, failing that, each previous key in order.
// Verifying a cookie the signer has recently verified with the current key
// (same value, same session) skips the HMAC: a small cache, indexed by a
// keyed hash of the value, remembers the secret of the last verified cookie
// per slot. Entries are stored only after a successful verification with
// the current key and compared in constant time, so the cache accepts
// exactly what verification with the current key accepts; a cookie that
// verified only with a previous key is never cached, so it is reported
// stale (and re-signed) every time.
type cookieSigner struct {
	pool  sync.Pool   // macers keyed with the current key
	prev  []sync.Pool // macers keyed with each previous key, in order
	seed  maphash.Seed
	cache [verifiedSlots]atomic.Pointer[verifiedCookie]
}

// verifiedSlots is the number of remembered cookies; maxCachedSession the
// longest session value cached with one (longer ones are always verified),
// which bounds the cache's memory.
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

// newCookieSigner returns a signer that signs with key and also accepts
// cookies signed with any of previous. The keys are copied.
func newCookieSigner(key []byte, previous ...[]byte) *cookieSigner {
	c := &cookieSigner{seed: maphash.MakeSeed()}
	setKey(&c.pool, key)
	if len(previous) > 0 {
		c.prev = make([]sync.Pool, len(previous))
		for i, k := range previous {
			setKey(&c.prev[i], k)
		}
	}
	return c
}

// setKey makes pool hand out macers keyed with a copy of key.
func setKey(pool *sync.Pool, key []byte) {
	k := append([]byte(nil), key...)
	pool.New = func() any { return &macer{h: hmac.New(sha256.New, k)} }
}

// mac computes HMAC(key, label || secret || len(session) || session) into
// out with the current key. Binding the session value means a cookie
// planted by a sibling subdomain, or moved from another session, does not
// verify.
func (c *cookieSigner) mac(out *[sha256.Size]byte, secret *[secretLen]byte, session string) {
	macWith(&c.pool, out, secret, session)
}

// macWith is mac with the key of pool's macers.
func macWith(pool *sync.Pool, out *[sha256.Size]byte, secret *[secretLen]byte, session string) {
	m := pool.Get().(*macer)
	m.h.Reset()
	n := copy(m.buf[:], cookieLabel)
	n += copy(m.buf[n:], secret[:])
	binary.BigEndian.PutUint32(m.buf[n:], uint32(len(session)))
	n += 4
	m.h.Write(m.buf[:n])
	for len(session) > 0 {
		k := copy(m.buf[:], session)
		m.h.Write(m.buf[:k])
		session = session[k:]
	}
	m.h.Sum(m.sum[:0])
	*out = m.sum
	pool.Put(m)
}

// encodeCookie returns base64url(secret || mac).
func (c *cookieSigner) encode(secret *[secretLen]byte, session string) string {
	var raw [cookieRawLen]byte
	copy(raw[:], secret[:])
	var sum [sha256.Size]byte
	c.mac(&sum, secret, session)
	copy(raw[secretLen:], sum[:])
	var out [cookieValueLen]byte
	b64.Encode(out[:], raw[:])
	return string(out[:])
}

// decode verifies a cookie value with any key and writes its secret to dst.
func (c *cookieSigner) decode(dst *[secretLen]byte, value, session string) bool {
	ok, _ := c.verify(dst, value, session)
	return ok
}

// verify verifies a cookie value and writes its secret to dst. stale
// reports that the value verified only with a previous key, so it should be
// re-signed with the current key. Each MAC is compared in constant time.
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
	if !decodeB64(raw[:], value) {
		return false, false
	}
	var secret [secretLen]byte
	copy(secret[:], raw[:secretLen])
	var sum [sha256.Size]byte
	c.mac(&sum, &secret, session)
	if !hmac.Equal(sum[:], raw[secretLen:]) {
		ok := len(c.prev) > 0 && c.verifyPrevious(dst, &secret, raw[secretLen:], session)
		return ok, ok
	}
	if len(session) <= maxCachedSession {
		slot.Store(&verifiedCookie{value: strings.Clone(value), session: strings.Clone(session), secret: secret})
	}
	*dst = secret
	return true, false
}

// verifyPrevious checks mac against each previous key. A match is not
// cached: the cache holds only cookies signed with the current key, so a
// previous-key cookie is reported stale on every request until it is
// re-signed.
func (c *cookieSigner) verifyPrevious(dst, secret *[secretLen]byte, mac []byte, session string) bool {
	var sum [sha256.Size]byte
	for i := range c.prev {
		macWith(&c.prev[i], &sum, secret, session)
		if hmac.Equal(sum[:], mac) {
			*dst = *secret
			return true
		}
	}
	return false
}

// equalCT returns 1 when a and b, of equal length, are equal, and 0
// otherwise, in time that depends only on the length.
func equalCT(a, b string) int {
	var v byte
	for i := 0; i < len(a) && i < len(b); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0)
}
