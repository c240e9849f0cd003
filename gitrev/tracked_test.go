package gitrev_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/gitrev"
)

// TestUnmodified: tracked and unmodified only, named relative to the
// directory asked from (a subdirectory here); a literal '*' is a name.
func TestUnmodified(t *testing.T) {
	r := newRepo(t)
	r.write("sub/same.txt", "a\n", 0o644)
	r.write("sub/edited.txt", "a\n", 0o644)
	r.write("sub/star*", "a\n", 0o644)
	r.write("sub/starry", "a\n", 0o644)
	r.commit("first")
	r.write("sub/edited.txt", "b\n", 0o644)
	r.write("sub/new.txt", "a\n", 0o644)
	got, err := gitrev.Repo{Dir: filepath.Join(r.dir, "sub")}.Unmodified(context.Background(), []string{"same.txt", "edited.txt", "new.txt", "star*"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"same.txt": true, "star*": true}, got); diff != "" {
		t.Errorf("Unmodified (-want +got):\n%s", diff)
	}
	if _, err := (gitrev.Repo{Dir: t.TempDir()}).Unmodified(context.Background(), []string{"x"}); err == nil {
		t.Error("Unmodified outside a repository: no error")
	}
}
