package plan

// DiffOrg is diffOrg for the benchmarks of package plan_test.
var DiffOrg = diffOrg
