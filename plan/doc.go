// Package plan computes what must change for the live agents of a Pipecat
// Cloud organization to equal a loaded pipecat.yaml.
//
// Refresh is the only I/O: it lists the live agents, reads the details of
// the ones the plan may touch with bounded parallelism, and lists secret
// sets and regions for preflight. Diff is a pure function of (config, live)
// that normalizes each live agent into the config's shape (LiveSpec) and
// compares only the fields the config manages: a field left out of the file
// is never diffed and never sent. The resulting Plan is plain data; package
// report renders it and package apply executes it, and neither decides
// anything the plan did not say.
//
// A saved plan carries, per agent, a fingerprint of the live state it was
// computed against; CheckStale refuses a plan whose fingerprints no longer
// match, so apply never acts on a state nobody reviewed.
package plan
