package gitrev

import (
	"context"
	"strings"
)

// Unmodified reports which of paths (relative to r.Dir, which may be any
// directory of the work tree) git tracks and finds unmodified in the work
// tree: their content is the index's.
func (r Repo) Unmodified(ctx context.Context, paths []string) (map[string]bool, error) {
	out, err := r.git(ctx, nil, nil, append([]string{"ls-files", "-z", "-t", "-c", "-m", "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	tracked := map[string]bool{}
	changed := map[string]bool{}
	for rec := range strings.SplitSeq(string(out), "\x00") {
		tag, p, ok := strings.Cut(rec, " ")
		switch {
		case !ok:
		case tag == "H": // cached
			tracked[p] = true
		default: // C (changed), or any other state: not the index's
			changed[p] = true
		}
	}
	for p := range changed {
		delete(tracked, p)
	}
	return tracked, nil
}
