package session

import (
	"bytes"
	"errors"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	cases := map[string]map[string][]byte{
		"nil":    nil,
		"empty":  {},
		"one":    {"a": []byte("b")},
		"binary": {"\x00k": {0, 1, 2, 255}, "": nil, "big": bytes.Repeat([]byte("x"), 1<<20)},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := DecodeValues(EncodeValues(in))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(out) != len(in) {
				t.Fatalf("got %d keys, want %d", len(out), len(in))
			}
			for k, v := range in {
				if !bytes.Equal(out[k], v) {
					t.Errorf("key %q: got %q, want %q", k, out[k], v)
				}
			}
		})
	}
}

func TestCodecRejectsCorrupt(t *testing.T) {
	good := EncodeValues(map[string][]byte{"key": []byte("value")})
	cases := map[string][]byte{
		"empty":         nil,
		"wrong version": append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"trailing":      append(append([]byte{}, good...), 0),
		"huge count":    {codecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge length":   {codecVersion, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeValues(in); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzDecodeValues(f *testing.F) {
	f.Add(EncodeValues(map[string][]byte{"a": []byte("b"), "user": []byte("42")}))
	f.Add([]byte{codecVersion, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := DecodeValues(data)
		if err != nil {
			return
		}
		again, err := DecodeValues(EncodeValues(values))
		if err != nil || len(again) != len(values) {
			t.Fatalf("re-encode of a decoded blob failed: %v", err)
		}
	})
}
