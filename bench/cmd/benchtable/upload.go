package main

// upload.go renders the upload scenario (bench/csrfbench's BenchmarkUpload):
// a streamed multipart upload, token field first, through Bulwark's
// Protector against the bare streaming handler, at 1 MiB and 1 GiB.

import (
	"fmt"
	"math"
	"strings"
)

// uploadSizes are the sizes BenchmarkUpload measures; the time target is
// judged at the last.
var uploadSizes = []string{"1MiB", "1GiB"}

// Tolerances of the size-independence target: one run of a 1 GiB upload
// is a single iteration, which also pays for refilling sync.Pool buffers
// after the benchmark's GC. Any per-byte cost would be millions of bytes.
const uploadSlackBytes, uploadSlackAllocs = 64 << 10, 16

func uploadName(size, lib string) string { return "Upload/" + size + "/" + lib }

// uploadVerdicts judges the upload targets: time within 5% of the bare
// handler at 1 GiB; bytes and allocations per upload independent of size.
func uploadVerdicts(res Results) []verdict {
	big, small := uploadSizes[len(uploadSizes)-1], uploadSizes[0]
	prot, bare := res.Get(uploadName(big, "bulwark-full"), "ns/op"), res.Get(uploadName(big, "bare"), "ns/op")
	if !prot.OK || !bare.OK {
		return nil
	}
	ratio := prot.Median/bare.Median - 1
	// As for the other targets: a miss no larger than the runs' spread is
	// said to be within the noise (a 1 GiB run is a single iteration).
	note := ""
	if spread := max(prot.Spread, bare.Spread); ratio > 0.05 && ratio*100 <= spread {
		note = fmt.Sprintf("; the miss is within this run's noise (±%.0f%%)", spread)
	}
	vs := []verdict{{
		target:   "csrf full: a streamed 1 GiB upload (token field first) within 5% of the bare streaming handler's time",
		measured: fmt.Sprintf("%+.1f%% (%s vs %s)%s", ratio*100, fmtNs(prot.Median), fmtNs(bare.Median), note),
		met:      ratio <= 0.05, known: true,
	}}
	db := diff(res, uploadName(big, "bulwark-full"), uploadName(small, "bulwark-full"), "B/op")
	da := diff(res, uploadName(big, "bulwark-full"), uploadName(small, "bulwark-full"), "allocs/op")
	vs = append(vs, verdict{
		target: "csrf full: bytes and allocations per upload independent of its size (1 GiB vs 1 MiB)",
		measured: fmt.Sprintf("%s B/op and %s allocs/op at 1 GiB vs %s and %s at 1 MiB (tolerance %d KiB, %d allocs)",
			fmtCount(res.Get(uploadName(big, "bulwark-full"), "B/op")), fmtCount(res.Get(uploadName(big, "bulwark-full"), "allocs/op")),
			fmtCount(res.Get(uploadName(small, "bulwark-full"), "B/op")), fmtCount(res.Get(uploadName(small, "bulwark-full"), "allocs/op")),
			uploadSlackBytes>>10, uploadSlackAllocs),
		met:   !math.IsNaN(db) && db <= uploadSlackBytes && da <= uploadSlackAllocs,
		known: !math.IsNaN(db) && !math.IsNaN(da),
	})
	return vs
}

// renderUploads writes the Uploads section, when the input has it.
func renderUploads(b *strings.Builder, res Results) {
	if !res.Get(uploadName(uploadSizes[0], "bare"), "ns/op").OK {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("\n## Uploads\n\n")
	w("A `multipart/form-data` upload with the token field first and then one file part, generated as it is read (never stored), ")
	w("posted to a handler that streams every part with `r.MultipartReader()` and `io.Copy(io.Discard, part)`: the bare handler, ")
	w("and the same handler behind `csrf.New(csrf.Config{Key: key})`, on the very same request (cookie and token included). ")
	w("The Protector reads the form up to the token field, verifies it, and hands the handler the body from its first byte. ")
	w("A 1 GiB run is a single iteration (seconds per op), so its B/op and allocs/op include refilling pooled buffers; ")
	w("`TestUploadMemoryFlat` (bench/csrfbench) asserts on warm runs that 64 MiB costs the bytes and allocations of 1 MiB.\n\n")
	w("| Size | Handler | time/op | B/op | allocs/op | overhead | extra B/op | extra allocs |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, size := range uploadSizes {
		for _, lib := range []struct{ key, label string }{{"bare", "bare streaming handler"}, {"bulwark-full", "**Bulwark csrf, full**"}} {
			name := uploadName(size, lib.key)
			t := res.Get(name, "ns/op")
			if !t.OK {
				continue
			}
			ov, ovB, ovA := "", "", ""
			if lib.key != "bare" {
				base := uploadName(size, "bare")
				ov = fmt.Sprintf("%+.1f%%", (t.Median/res.Get(base, "ns/op").Median-1)*100)
				ovB, ovA = signed(diff(res, name, base, "B/op"), ""), signed(diff(res, name, base, "allocs/op"), "")
			}
			w("| %s | %s | %s | %s | %s | %s | %s | %s |\n", size, lib.label, fmtStat(t), fmtCount(res.Get(name, "B/op")),
				fmtCount(res.Get(name, "allocs/op")), ov, ovB, ovA)
		}
	}
}
