package session

import (
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	good := newID()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"fresh ID", good, true},
		{"empty", "", false},
		{"short", good[:42], false},
		{"long", good + "A", false},
		{"padding", good[:42] + "=", false},
		{"standard alphabet", strings.Repeat("+", 43), false},
		{"non-canonical trailing bits", strings.Repeat("A", 42) + "B", false},
		{"spaces", strings.Repeat(" ", 43), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := parseID(tc.in); ok != tc.ok {
				t.Errorf("parseID(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
		})
	}
}

func TestNewIDIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if _, ok := parseID(id); !ok || seen[id] {
			t.Fatalf("bad or repeated ID %q", id)
		}
		seen[id] = true
	}
}

func TestHashID(t *testing.T) {
	// SHA-256("abc"), hex.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashID("abc"); got != want {
		t.Errorf("HashID = %s, want %s", got, want)
	}
}

// FuzzParseID checks that cookie parsing never panics and accepts only the
// canonical encoding of 32 bytes.
func FuzzParseID(f *testing.F) {
	f.Add(newID())
	f.Add("")
	f.Add(strings.Repeat("A", 42) + "B")
	f.Add(strings.Repeat("_", 43))
	f.Fuzz(func(t *testing.T, in string) {
		id, ok := parseID(in)
		if !ok {
			return
		}
		b, err := idEncoding.DecodeString(id)
		if err != nil || len(b) != idBytes || idEncoding.EncodeToString(b) != in {
			t.Fatalf("accepted non-canonical ID %q", in)
		}
	})
}

// FuzzDecodeMeta checks that stored metadata decoding never panics and
// round-trips what it accepts.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(meta{persist: true}.encode())
	f.Add([]byte{})
	f.Add([]byte{metaVersion, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		md, ok := decodeMeta(in)
		if ok && string(md.encode()) != string(in) {
			t.Fatalf("decodeMeta(%x) does not round-trip", in)
		}
	})
}
