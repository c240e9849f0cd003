package pack

import (
	"fmt"
	"strconv"
	"strings"
)

// PathError is a failure at one path of a context: Path is relative to
// the context ("" for the context itself).
type PathError struct {
	Context string
	Path    string
	Err     error
}

func (e *PathError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("build context %s: %v", e.Context, e.Err)
	}
	return fmt.Sprintf("build context %s: %s: %v", e.Context, quote(e.Path), e.Err)
}

func (e *PathError) Unwrap() error { return e.Err }

// SymlinkError refuses a symbolic link that resolves outside the context.
// Path is relative to the context; Target is the link's text.
type SymlinkError struct {
	Context string
	Path    string
	Target  string
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("build context %s: %s: symlink to %s points outside the context; copy the file in or exclude the link in .dockerignore",
		e.Context, quote(e.Path), quote(e.Target))
}

// IgnoreError is a .dockerignore line the official action cannot use.
type IgnoreError struct {
	Context string
	Line    int
	Pattern string
	Err     error
}

func (e *IgnoreError) Error() string {
	if e.Pattern == "" {
		return fmt.Sprintf("build context %s: .dockerignore line %d: %v", e.Context, e.Line, e.Err)
	}
	return fmt.Sprintf("build context %s: .dockerignore line %d: pattern %s: %v", e.Context, e.Line, quote(e.Pattern), e.Err)
}

func (e *IgnoreError) Unwrap() error { return e.Err }

// TooLargeError refuses a context over the size limit. Largest holds its
// biggest files, largest first (at most five), named by their path in the
// context.
type TooLargeError struct {
	Context string
	Size    int64
	Limit   int64
	Largest []File
}

func (e *TooLargeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "build context %s is %s, over the %s limit; exclude files in .dockerignore. Largest files:",
		e.Context, FormatSize(e.Size), FormatSize(e.Limit))
	for i, f := range e.Largest {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%s)", quote(f.Name), FormatSize(f.Size))
	}
	return b.String()
}

// quote writes a path for a message: as is when it is plain printable
// text, Go-quoted when it holds anything a terminal could misread (file
// names are data).
func quote(s string) string {
	if q := strconv.Quote(s); s == "" || q != `"`+s+`"` || strings.TrimSpace(s) != s {
		return q
	}
	return s
}

// FormatSize writes a byte count as the official action's formatSize does:
// bytes under 1 KiB, then KB and MB (binary units) with one decimal.
func FormatSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}
