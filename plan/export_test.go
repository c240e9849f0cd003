package plan

// DiffOrg is diffOrg for the benchmarks of package plan_test.
var DiffOrg = diffOrg

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
