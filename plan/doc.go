// Package plan computes what must change for the live agents of a Pipecat
// Cloud organization to equal a loaded pipecat.yaml.
//
// Make is the entry point: Refresh is the only I/O (it lists the live
// agents, reads the details of the ones the plan may touch with bounded
// parallelism, lists secret sets and regions for preflight and reads the
// organization's default region, where whatever names no region goes),
// then Diff, a pure function of (config, live, Options), normalizes each
// live agent into the config's shape (LiveSpec, in wire.go with the request mapping)
// and compares only the fields the config manages: a field left out of the
// file is never diffed and never sent.
//
// The plan owns every decision: Options (allow replace, redeploy builds)
// are applied here and recorded in the Plan, a redeploy is an update with
// its Reason, and a change the options do not allow is an error Finding.
// The resulting Plan is plain data; package report renders it and package
// apply executes it, and neither decides anything the plan did not say.
//
// Agents built from a directory of the repository (build:) need more than
// the API: ReadSources packs their contexts and, with a base revision
// (--base), reads the config and the contexts at that revision through
// git; Make then looks each build up in the cloud's build cache. The
// write-only inputs (build, buildId, managedKeys), which the API never
// returns, are compared with the same agent's at the base revision, and
// without one are shown but never counted as a change (builds.go).
//
// A saved plan carries, per agent, a fingerprint of the live state it was
// computed against (with the deployment, for an update that is nothing
// but a deployment); Recheck refuses a plan whose fingerprints no longer
// match, so apply never acts on a state nobody reviewed, nor twice on the
// same file. Decode refuses a file whose shown parts (fields, reasons,
// keys) are not what apply sends, and Recheck decides every change again
// from the live state as Diff does: what show renders is what apply does.
//
// Secret sets declared in the config are planned too (secretsets.go):
// create, keys added and removed by name, a values update told by a keyed
// fingerprint the set holds as a key name, replace, prune. Their values
// come from Options.SecretValue and stay in memory: a Plan holds variable
// names and key names, never a value, a hash or length of one, or the
// fingerprint key.
package plan
