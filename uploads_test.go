package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
)

// cmdUploads lists the entries of every build context uploaded to the
// script's sandbox, one "upload N: NAME" line each (uploads in the order
// of their first entry name), and with NEEDLE arguments a line
// "upload N: NAME holds NEEDLE" for each entry whose content holds one:
//
//	uploads [NEEDLE...]
func cmdUploads(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: uploads [NEEDLE...]")
	}
	sb := ts.Value(sandboxKey{}).(*sandbox.Server)
	blobs, err := sb.UploadedContexts()
	ts.Check(err)
	var lists [][]string
	for _, data := range blobs {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		ts.Check(err)
		tr := tar.NewReader(zr)
		var lines []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			ts.Check(err)
			lines = append(lines, h.Name)
			content, err := io.ReadAll(tr)
			ts.Check(err)
			for _, needle := range args {
				if bytes.Contains(content, []byte(needle)) {
					lines = append(lines, h.Name+" holds "+needle)
				}
			}
		}
		lists = append(lists, lines)
	}
	slices.SortFunc(lists, func(a, b []string) int { return strings.Compare(strings.Join(a, "\n"), strings.Join(b, "\n")) })
	for i, lines := range lists {
		for _, l := range lines {
			fmt.Fprintf(ts.Stdout(), "upload %d: %s\n", i+1, l)
		}
	}
}
