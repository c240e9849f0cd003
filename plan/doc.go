// Package plan computes what must change for the live agents (and secret
// sets) of a Pipecat Cloud organization to equal a loaded pipecat.yaml.
//
//   - Make refreshes (Refresh, the only I/O) and diffs (Diff, a pure
//     function of config, live state and Options). Only fields the config
//     manages are compared; one left out of the file is never sent.
//   - The plan owns every decision: Options are applied here and recorded
//     in the Plan, and a change they do not allow is an error Finding.
//     Package report renders a Plan and package apply executes it.
//   - Refresh also reads the organization's default region: whatever
//     names no region is checked where the platform will put it.
//   - Build inputs and other write-only fields are compared with the same
//     agent at a base revision (builds.go, through package gitrev).
//   - A saved plan carries a fingerprint of the live state per agent;
//     Decode and Recheck refuse a file that is stale or whose shown parts
//     are not what apply would send.
//   - A Plan holds secret variable and key names, never a value, nor a hash
//     or length of one.
//
// docs/architecture.md explains the refresh, base revisions and saved plans.
package plan
