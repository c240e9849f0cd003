package pack

import (
	"fmt"

	"github.com/pipecat-gitops/pipecat-gitops/gitrev"
)

// fileID identifies a file on its device.
type fileID struct{ dev, ino uint64 }

// checkHardLinks refuses a regular file with more than one name unless
// all its names are packed files of this context, or git tracks it
// unmodified (so its content is the repository's). A hard link can put a
// file from anywhere on the machine (~/.aws/credentials) into the context
// with no trace a symlink would leave. Git cannot carry hard links, so a
// fresh checkout never has one: this only concerns local runs.
func (w *walker) checkHardLinks() error {
	seen := map[fileID]int{}
	var linked []int
	for i, e := range w.files {
		id, links, ok := linkInfo(e.info)
		if ok && links > 1 {
			seen[id]++
			linked = append(linked, i)
		}
	}
	var outside []entry
	for _, i := range linked {
		id, links, _ := linkInfo(w.files[i].info)
		if uint64(seen[id]) < links {
			outside = append(outside, w.files[i])
		}
	}
	if len(outside) == 0 {
		return nil
	}
	paths := make([]string, len(outside))
	for i, e := range outside {
		paths[i] = e.rel
	}
	tracked, gitErr := gitrev.Repo{Dir: w.root}.Unmodified(w.ctx, paths)
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("build context %s: %w", w.dir, err)
	}
	for _, e := range outside {
		if tracked[e.rel] {
			continue
		}
		_, links, _ := linkInfo(e.info)
		why := "git does not track it unmodified"
		if gitErr != nil {
			why = fmt.Sprintf("git cannot tell whether it is tracked (%v)", gitErr)
		}
		return w.pathErr(e.rel, fmt.Errorf("a hard link with %d names, not all in the context, and %s: it may be a file from outside the repository; copy it instead of linking it, or exclude it in .dockerignore", links, why))
	}
	return nil
}
