// This file holds session IDs: generation, cookie parsing and hashing.

package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// idBytes is the entropy of a session ID: 256 bits.
const idBytes = 32

var idEncoding = base64.RawURLEncoding.Strict()

// encodedIDLen is the length of an ID in the cookie: 43 characters.
var encodedIDLen = idEncoding.EncodedLen(idBytes)

// newID returns a fresh random session ID. crypto/rand.Read never fails
// on supported platforms (it crashes the program rather than return
// predictable bytes).
func newID() string {
	b := make([]byte, idBytes)
	_, _ = rand.Read(b)
	return idEncoding.EncodeToString(b)
}

// parseID reports whether a cookie value is a well-formed session ID: 43
// characters of unpadded base64url that decode to 32 bytes, in the one
// canonical encoding. Anything else is treated as no cookie at all.
func parseID(v string) (string, bool) {
	if len(v) != encodedIDLen {
		return "", false
	}
	var b [idBytes + 2]byte
	n, err := idEncoding.Decode(b[:], []byte(v))
	if err != nil || n != idBytes {
		return "", false
	}
	return v, true
}

// HashID returns the Store key for a session ID: the hex SHA-256 of the
// ID. The Manager never passes a raw ID to a Store, so a leaked store
// cannot be replayed as cookies. Tools that inspect a store (and the store
// conformance suite) use HashID to find a session by its cookie value.
func HashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], sum[:])
	return string(buf[:])
}

// hashIDLen is the length of a store key made by HashID.
const hashIDLen = 2 * sha256.Size
