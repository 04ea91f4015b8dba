package api_test

import (
	"bytes"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"ragchat/api"
	"ragchat/internal/hostile"
)

// BenchmarkUpload measures the memory of one upload through the real path
// (multipart, extraction, chunking, hash embeddings, SQLite, embedded
// index): B/op and allocs/op, the heap in use after the upload
// (heap-MB, after a GC), and the process's peak RSS so far (peak-rss-MB,
// Linux VmHWM; it includes the test binary and the benchmark's own body).
//
//	go test -run '^$' -bench Upload -benchtime 3x ./api/
func BenchmarkUpload(b *testing.B) {
	for _, bc := range []struct {
		name string
		file string
		data []byte
	}{
		{"text=1MB", "a.txt", hostile.Text(1 << 20)},
		{"text=cap", "a.txt", hostile.Text(1_999_000)},
		{"pdf=2000pages", "a.pdf", hostile.ManyPagesPDF(2000)},
		{"refused/shared-stream", "s.pdf", hostile.SharedStreamPDF(1000, 100_000)},
		{"refused/19MiB-text", "b.txt", hostile.Text(19 << 20)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			base, _ := newDocServer(b, api.Config{})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// A different text each time, so each upload is stored.
				data := append(bytes.Clone(bc.data[:len(bc.data)-16]), []byte(strings.Repeat(" ", 8) + strconv.Itoa(1e7+i))[:16]...)
				if strings.HasSuffix(bc.file, ".pdf") {
					data = bc.data
				}
				body, ctype := multipartBody(b, part{name: "file", filename: bc.file, data: data})
				resp, err := http.Post(base+"/api/v1/documents/upload", ctype, body)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
			b.ReportMetric(peakRSS()/(1<<20), "peak-rss-MB")
		})
	}
}

// peakRSS reads VmHWM from /proc/self/status (0 elsewhere).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}
