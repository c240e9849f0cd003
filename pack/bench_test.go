package pack

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPack packs a tree of 2,000 small files (about 200 bytes each,
// 40 directories, a .dockerignore excluding a tenth of them).
func BenchmarkPack(b *testing.B) {
	dir := b.TempDir()
	files := []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: ".dockerignore", mode: 0o644, data: "*.log\n__pycache__\n"},
	}
	for i := range 2000 {
		name := fmt.Sprintf("pkg%02d/module_%04d.py", i%40, i)
		if i%10 == 0 {
			name = fmt.Sprintf("pkg%02d/run_%04d.log", i%40, i)
		}
		files = append(files, fixtureFile{path: name, mode: 0o644, data: fmt.Sprintf("# module %d\n%0200d\n", i, i)})
	}
	writeTree(b, dir, files, epoch2020)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		a, err := Pack(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		size = int(a.Compressed)
	}
	b.ReportMetric(float64(size), "gzip-bytes")
}
