package csrfbench

import (
	"runtime"
	"strings"
	"testing"
)

// TestUploadScenario verifies the upload scenario before it is measured:
// both handlers answer 200 and stream the whole file, and the Protector
// really checks the token (a forged one is refused before the file is
// read).
func TestUploadScenario(t *testing.T) {
	const size = 1 << 20
	bare, protected, err := NewUploads(size)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]*Upload{"bare": bare, "bulwark-full": protected} {
		if code := u.Serve(); code != 200 || u.Streamed() != size {
			t.Fatalf("%s: status %d, streamed %d of %d bytes", name, code, u.Streamed(), size)
		}
	}
	// Forge the token: one more character in front makes it malformed.
	protected.body.head = []byte(strings.Replace(string(protected.body.head), "\r\n\r\n", "\r\n\r\nX", 1))
	if code := protected.Serve(); code != 403 || protected.Streamed() != 0 {
		t.Fatalf("forged token: status %d, streamed %d bytes; want 403 before the file is read", code, protected.Streamed())
	}
}

// TestUploadMemoryFlat: the bytes and allocations of a streamed upload do
// not grow with its size, through the Protector as in the bare handler:
// 64 MiB costs what 1 MiB costs, within a small constant (sync.Pool
// buffers refilled after a GC).
func TestUploadMemoryFlat(t *testing.T) {
	const small, large = 1 << 20, 64 << 20
	const slackAllocs, slackBytes = 4, 64 << 10
	for _, lib := range []string{"bare", "bulwark-full"} {
		t.Run(lib, func(t *testing.T) {
			s, l := uploadOf(t, lib, small), uploadOf(t, lib, large)
			as, al := testing.AllocsPerRun(3, func() { s.Serve() }), testing.AllocsPerRun(3, func() { l.Serve() })
			bs, bl := bytesPerServe(s, 3), bytesPerServe(l, 3)
			t.Logf("1 MiB: %.0f allocs, %d B; 64 MiB: %.0f allocs, %d B", as, bs, al, bl)
			if al > as+slackAllocs {
				t.Errorf("allocations grow with size: %.0f at 1 MiB, %.0f at 64 MiB", as, al)
			}
			if bl > bs+slackBytes {
				t.Errorf("bytes allocated grow with size: %d at 1 MiB, %d at 64 MiB", bs, bl)
			}
			if code := l.Serve(); code != 200 || l.Streamed() != large {
				t.Fatalf("status %d, streamed %d of %d bytes", code, l.Streamed(), large)
			}
		})
	}
}

func uploadOf(t *testing.T, lib string, size int64) *Upload {
	t.Helper()
	bare, protected, err := NewUploads(size)
	if err != nil {
		t.Fatal(err)
	}
	if lib == "bare" {
		return bare
	}
	return protected
}

// bytesPerServe is the mean of the bytes allocated by n Serves.
func bytesPerServe(u *Upload, n int) uint64 {
	u.Serve() // warm up (pools, lazily built state)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		u.Serve()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// BenchmarkUpload measures the upload scenario at each size: the bare
// streaming handler and the same behind Bulwark's Protector, back to back
// in a rotating order. Names are BenchmarkUpload/<size>/<lib>, lib "bare"
// or "bulwark-full".
func BenchmarkUpload(b *testing.B) {
	for _, sz := range UploadSizes {
		bare, protected, err := NewUploads(sz.Size)
		if err != nil {
			b.Fatal(err)
		}
		if code := protected.Serve(); code != 200 || protected.Streamed() != sz.Size {
			// A library version that parses the whole form refuses it.
			b.Skipf("upload %s: the Protector answered %d, streamed %d bytes: not measured", sz.Name, code, protected.Streamed())
		}
		unit := []bench{
			{"bare", func() { bare.Serve() }},
			{"bulwark-full", func() { protected.Serve() }},
		}
		b.Run(sz.Name, func(b *testing.B) { runOrdered(b, ordered([][]bench{unit}, rotationOffset)) })
	}
}
