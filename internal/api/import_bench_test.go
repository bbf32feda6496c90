package api_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// BenchmarkImportGitHubAPI imports GitHub's REST description (13 MB, about
// 1,200 operations) through POST /v1/integrations/import by URL: fetch,
// parse, convert, validate, store and answer. peak-RSS-MB is the process's
// high-water mark, server and client together.
func BenchmarkImportGitHubAPI(b *testing.B) {
	url := serveDocumentB(b, publicDocument(b, githubREST))
	srv := servertest.Start(b, servertest.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		in, err := srv.Client.Import(ctx, client.ImportInput{OpenAPIURL: url, Name: fmt.Sprintf("GitHub %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		if in.Report.Imported < 1000 {
			b.Fatalf("imported %d actions", in.Report.Imported)
		}
	}
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
	}
}

// peakRSS reads the process's resident set high-water mark (Linux), in
// bytes, or 0 where it is not available.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
