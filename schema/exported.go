package schema

// Helpers for reporting problems in other inputs (command names,
// pcc-deploy.toml files) the way config errors are reported.

// Suggest returns the word of valid closest to name when it is close enough
// to be a likely typo ("secretset" -> "secretSet"), else "". It is the
// matcher behind "did you mean" hints on config keys.
func Suggest(name string, valid []string) string { return suggest(name, valid) }

// Sorted returns es as Load reports errors: sorted by line, column and
// path, without exact duplicates, and capped with a last "too many errors"
// entry.
func (es Errors) Sorted() Errors { return es.sorted(0) }
