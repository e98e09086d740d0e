package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"lower", "alice", "alice", true},
		{"upper folds", "ALICE", "alice", true},
		{"full width", "ａｌｉｃｅ", "alice", true},
		{"decomposed to NFC", "jose\u0301", "jos\u00e9", true},
		{"non-latin", "Βασίλης", "βασίλης", true},
		{"digits and punctuation", "bob.smith-2_x@example.com", "bob.smith-2_x@example.com", true},
		{"space", "alice smith", "", false},
		{"leading space", " alice", "", false},
		{"control", "alice\x00", "", false},
		{"newline", "alice\n", "", false},
		{"empty", "", "", false},
		{"invalid utf-8", "al\xffice", "", false},
		{"64 runes", strings.Repeat("é", 64), strings.Repeat("é", 64), true},
		{"65 runes", strings.Repeat("a", 65), "", false},
		{"huge", strings.Repeat("a", 1<<20), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeUsername(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("NormalizeUsername(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidUsername) {
				t.Fatalf("err %v does not wrap ErrInvalidUsername", err)
			}
		})
	}
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"alice", "ALICE", "ａｌｉｃｅ", "a b", "\u212a", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeUsername(s)
		if err != nil {
			return
		}
		// Idempotent: the stored form normalises to itself.
		n2, err := NormalizeUsername(n)
		if err != nil || n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, n, n2, err)
		}
	})
}
