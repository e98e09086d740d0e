package auth

import (
	"errors"
	"strings"
	"testing"
)

// testParams are cheap argon2id parameters for tests only.
var testParams = Params{Memory: 64, Iterations: 1, Parallelism: 1}

func TestHashVerify(t *testing.T) {
	h, err := HashPassword("correct horse", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q: unexpected PHC prefix", h)
	}
	h2, _ := HashPassword("correct horse", testParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	tests := []struct {
		name     string
		password string
		want     bool
		err      error
	}{
		{"right password", "correct horse", true, nil},
		{"wrong password", "correct horsf", false, nil},
		{"prefix", "correct hors", false, nil},
		{"empty", "", false, ErrPasswordTooShort},
		{"too long", strings.Repeat("a", MaxPasswordBytes+1), false, ErrPasswordTooLong},
		{"control character", "correct\x00horse", false, ErrPasswordInvalid},
		{"invalid utf-8", "correct \xff", false, ErrPasswordInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyPassword(h, tt.password)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("VerifyPassword = %v, %v; want %v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestHashPasswordLimits(t *testing.T) {
	if _, err := HashPassword(strings.Repeat("a", MaxPasswordBytes), testParams); err != nil {
		t.Fatalf("1024-byte password: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("a", MaxPasswordBytes+1), testParams); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("1025-byte password: err = %v, want ErrPasswordTooLong", err)
	}
	for _, p := range []Params{{}, {Memory: 64, Iterations: 0, Parallelism: 1}, {Memory: 4, Iterations: 1, Parallelism: 1},
		{Memory: maxMemoryKiB + 1, Iterations: 1, Parallelism: 1}, {Memory: 64, Iterations: maxIterations + 1, Parallelism: 1}} {
		if _, err := HashPassword("password", p); err == nil {
			t.Errorf("HashPassword with %v: no error", p)
		}
	}
}

func TestPasswordUnicodeNormalised(t *testing.T) {
	// "é" precomposed and decomposed are one password (NFC).
	h, err := HashPassword("caf\u00e9-latte", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(h, "cafe\u0301-latte"); !ok || err != nil {
		t.Fatalf("decomposed form: %v, %v; want true", ok, err)
	}
}

func TestDefaultParamsAtLeastOWASP(t *testing.T) {
	if DefaultParams.Memory < 19456 || DefaultParams.Iterations < 2 || DefaultParams.Parallelism < 1 {
		t.Fatalf("DefaultParams %v below OWASP m=19456,t=2,p=1", DefaultParams)
	}
	if DefaultParams.belowOWASP() || !testParams.belowOWASP() {
		t.Fatal("belowOWASP is wrong")
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("password1", testParams)
	if NeedsRehash(h, testParams) {
		t.Error("same params: NeedsRehash = true")
	}
	if !NeedsRehash(h, Params{Memory: 128, Iterations: 1, Parallelism: 1}) {
		t.Error("more memory: NeedsRehash = false")
	}
	if !NeedsRehash(h, Params{Memory: 64, Iterations: 2, Parallelism: 1}) {
		t.Error("more iterations: NeedsRehash = false")
	}
	if !NeedsRehash("$2a$10$bcrypt", testParams) {
		t.Error("malformed: NeedsRehash = false")
	}
}

const validSalt = "c29tZXNhbHRzb21lc2FsdA"                     // 16 bytes
const validKey = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE" // 32 bytes

func TestParsePHC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey, true},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"params out of order", "$argon2id$v=19$t=2,m=19456,p=1$" + validSalt + "$" + validKey, false},
		{"extra param", "$argon2id$v=19$m=19456,t=2,p=1,k=1$" + validSalt + "$" + validKey, false},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"plus sign", "$argon2id$v=19$m=+19456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"overflow memory", "$argon2id$v=19$m=99999999999,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"huge iterations", "$argon2id$v=19$m=19456,t=100000,p=1$" + validSalt + "$" + validKey, false},
		{"huge parallelism", "$argon2id$v=19$m=19456,t=2,p=255$" + validSalt + "$" + validKey, false},
		{"zero parallelism", "$argon2id$v=19$m=19456,t=2,p=0$" + validSalt + "$" + validKey, false},
		{"memory below 8p", "$argon2id$v=19$m=8,t=2,p=4$" + validSalt + "$" + validKey, false},
		{"padded salt", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "==$" + validKey, false},
		{"url base64", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2Fsd_-$" + validKey, false},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + validKey, false},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$YWFhYQ", false},
		{"trailing field", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey + "$", false},
		{"newline in salt", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt[:4] + "\n" + validSalt[4:] + "$" + validKey, false},
		{"carriage return in key", "$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey[:4] + "\r" + validKey[4:], false},
		{"no leading dollar", "argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePHC(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("parsePHC(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadHash) {
				t.Fatalf("err %v does not wrap ErrBadHash", err)
			}
		})
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$" + validSalt + "$" + validKey)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$" + validSalt + "$" + validKey)
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$$")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		// Anything accepted is within bounds and formats back to itself.
		if h.params.Memory > maxMemoryKiB || h.params.Iterations > maxIterations || h.params.Parallelism > maxParallelism {
			t.Fatalf("accepted out-of-bounds params %v", h.params)
		}
		if got := formatPHC(h); got != s {
			t.Fatalf("round trip: %q -> %q", s, got)
		}
	})
}
