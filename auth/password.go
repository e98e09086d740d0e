// This file holds argon2id password hashing in the PHC string format.

package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/secure/precis"
)

// MaxPasswordBytes bounds the length of a password, in bytes, before any
// hashing, so a huge password cannot be used to burn CPU.
const MaxPasswordBytes = 1024

// Bounds on the cost parameters this package will ever hash or verify with.
// A PHC string outside them is rejected unread: a hash planted in the user
// database must not make one login cost gigabytes of memory or minutes of CPU.
const (
	maxMemoryKiB   = 1 << 20 // 1 GiB
	maxIterations  = 64
	maxParallelism = 64
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
	saltLen        = 16
	keyLen         = 32
	maxPHCLen      = 256
)

var (
	// ErrPasswordTooLong reports a password longer than MaxPasswordBytes.
	ErrPasswordTooLong = errors.New("auth: password is longer than 1024 bytes")
	// ErrPasswordTooShort reports a password shorter than the configured
	// minimum length (AccountsConfig.MinPasswordLength).
	ErrPasswordTooShort = errors.New("auth: password is too short")
	// ErrPasswordInvalid reports a password that is not valid UTF-8 or holds
	// characters the PRECIS OpaqueString profile (RFC 8265) disallows, such
	// as control characters.
	ErrPasswordInvalid = errors.New("auth: password contains invalid characters")
	// ErrBadHash reports a stored password hash that is not a well-formed
	// argon2id PHC string within this package's parameter bounds.
	ErrBadHash = errors.New("auth: malformed password hash")
)

// Params are the argon2id cost parameters used for new hashes.
//
// The zero value is not valid; use DefaultParams, or a cheaper set only in
// tests. Values below the OWASP minimum are accepted (tests need them) but
// NewAccounts logs a warning for them.
type Params struct {
	// Memory is the memory cost in KiB (m).
	Memory uint32
	// Iterations is the time cost (t).
	Iterations uint32
	// Parallelism is the number of lanes (p).
	Parallelism uint8
}

// DefaultParams is the OWASP Password Storage Cheat Sheet minimum for
// argon2id: 19 MiB of memory, 2 iterations, 1 lane.
var DefaultParams = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1}

// String formats p the way it appears inside a PHC string.
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Iterations, p.Parallelism)
}

// validate reports whether p is within the bounds this package hashes with.
func (p Params) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("auth: argon2id iterations %d: must be between 1 and %d", p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("auth: argon2id parallelism %d: must be between 1 and %d", p.Parallelism, maxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("auth: argon2id memory %d KiB: must be between 8×parallelism and %d KiB", p.Memory, maxMemoryKiB)
	}
	return nil
}

// belowOWASP reports whether p is weaker than the OWASP minimum.
func (p Params) belowOWASP() bool {
	return p.Memory < DefaultParams.Memory || p.Iterations < DefaultParams.Iterations
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params Params
	salt   []byte
	key    []byte
}

var b64 = base64.RawStdEncoding.Strict()

// decodeB64 decodes canonical unpadded base64. encoding/base64 skips '\r'
// and '\n' even in Strict mode; a PHC field containing them is not canonical.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, ErrBadHash
	}
	return b64.DecodeString(s)
}

// HashPassword hashes password with argon2id, a fresh 16-byte random salt and
// p, and returns the PHC string
// "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (unpadded standard base64).
// The password is first prepared with the PRECIS OpaqueString profile (NFC,
// non-ASCII spaces mapped to U+0020) so the same password typed on different
// devices hashes the same. It applies no minimum length; Accounts does.
func HashPassword(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	prepared, err := preparePassword(password)
	if err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(prepared), salt, p.Iterations, p.Memory, p.Parallelism, keyLen)
	return formatPHC(phc{params: p, salt: salt, key: key}), nil
}

// VerifyPassword reports whether password matches the PHC string hash, in
// time independent of where the two differ. It returns an error (and false)
// for a malformed hash (ErrBadHash), or a password that is too long or
// invalid; a plain mismatch is false with a nil error.
func VerifyPassword(hash, password string) (bool, error) {
	h, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	prepared, err := preparePassword(password)
	if err != nil {
		return false, err
	}
	return h.matches(prepared), nil
}

func (h phc) matches(prepared string) bool {
	got := argon2.IDKey([]byte(prepared), h.salt, h.params.Iterations, h.params.Memory, h.params.Parallelism, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// NeedsRehash reports whether hash should be replaced by a new hash made with
// p: it is malformed, or its parameters, salt or key length differ from what
// HashPassword(_, p) produces.
func NeedsRehash(hash string, p Params) bool {
	h, err := parsePHC(hash)
	if err != nil {
		return true
	}
	return h.params != p || len(h.salt) != saltLen || len(h.key) != keyLen
}

// preparePassword bounds and normalises a password (RFC 8265 OpaqueString).
func preparePassword(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	if password == "" {
		return "", ErrPasswordTooShort
	}
	if !utf8.ValidString(password) {
		return "", ErrPasswordInvalid
	}
	prepared, err := precis.OpaqueString.String(password)
	if err != nil {
		return "", ErrPasswordInvalid
	}
	if len(prepared) > MaxPasswordBytes {
		return "", ErrPasswordTooLong
	}
	return prepared, nil
}

func formatPHC(h phc) string {
	return "$argon2id$v=19$" + h.params.String() + "$" + b64.EncodeToString(h.salt) + "$" + b64.EncodeToString(h.key)
}

// parsePHC parses an argon2id PHC string strictly: the exact field order
// HashPassword writes, version 19, decimal numbers without signs or leading
// zeros, unpadded canonical base64, and every parameter within bounds.
func parsePHC(s string) (phc, error) {
	var h phc
	if len(s) > maxPHCLen {
		return h, fmt.Errorf("%w: longer than %d bytes", ErrBadHash, maxPHCLen)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return h, fmt.Errorf("%w: want 5 $-separated fields", ErrBadHash)
	}
	if parts[1] != "argon2id" {
		return h, fmt.Errorf("%w: algorithm is not argon2id", ErrBadHash)
	}
	if parts[2] != "v=19" {
		return h, fmt.Errorf("%w: version is not v=19", ErrBadHash)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return h, fmt.Errorf("%w: want parameters m,t,p", ErrBadHash)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return h, fmt.Errorf("%w: want parameters m,t,p in that order", ErrBadHash)
		}
		v, err := parseDecimal(digits)
		if err != nil {
			return h, err
		}
		vals[i] = v
	}
	if vals[0] > maxMemoryKiB || vals[1] > maxIterations || vals[2] > maxParallelism {
		return h, fmt.Errorf("%w: parameters out of bounds", ErrBadHash)
	}
	h.params = Params{Memory: uint32(vals[0]), Iterations: uint32(vals[1]), Parallelism: uint8(vals[2])}
	if err := h.params.validate(); err != nil {
		return h, fmt.Errorf("%w: %v", ErrBadHash, err)
	}
	var err error
	if h.salt, err = decodeB64(parts[4]); err != nil || len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return phc{}, fmt.Errorf("%w: bad salt", ErrBadHash)
	}
	if h.key, err = decodeB64(parts[5]); err != nil || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return phc{}, fmt.Errorf("%w: bad hash value", ErrBadHash)
	}
	return h, nil
}

func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: bad number %q", ErrBadHash, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: bad number %q", ErrBadHash, s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", ErrBadHash, s)
	}
	return v, nil
}
