package openapi

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// githubDereferenced is GitHub's description with every reference
// replaced by what it refers to: 73 MB in the pinned version, the same
// schemas repeated thousands of times.
const githubDereferenced = "@octokit/openapi/generated/api.github.com.deref.json"

// maxImportMemory is what an import of it may take at its peak, the
// document included.
const maxImportMemory = 500 << 20

// TestImportDereferencedGitHubMemory imports the dereferenced GitHub
// description and samples the memory the process holds from the system
// (mapped and not returned) while it runs. It is not parallel, so that no
// other test's memory is counted.
func TestImportDereferencedGitHubMemory(t *testing.T) {
	doc := publicDocument(t, githubDereferenced)
	runtime.GC()
	debug.FreeOSMemory()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, samples[0].Value.Uint64()-samples[1].Value.Uint64())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	def, report, err := Import(t.Context(), doc, Options{})
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d MB document: imported %d of %d operations in %v, peak memory %d MB",
		len(doc)>>20, report.Imported, report.Operations, took.Round(time.Millisecond), peak>>20)
	if report.Imported < 1000 || len(def.Actions) != report.Imported {
		t.Errorf("imported %d actions, want more than 1000", report.Imported)
	}
	if peak > maxImportMemory {
		t.Errorf("peak memory %d MB, want at most %d MB", peak>>20, maxImportMemory>>20)
	}
}
