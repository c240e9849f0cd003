// Package adopt turns agents that already exist into a pipecat.yaml: the
// live agents of an organization (FromLive, read by Read) and the
// pcc-deploy.toml files of the official Pipecat Cloud CLI (FromPCCDeploy).
//
// Contract:
//   - The live mapping is plan.LiveSpec, the one normalization the plan
//     diffs against, so a file imported from an organization plans to
//     "No changes." against that organization.
//   - Render writes deterministic YAML: agents sorted by name, fields in
//     schema.Spec order, values shared by most agents factored into
//     defaults only where that shortens the file and keeps every agent's
//     merged spec. It parses its own output with schema.Parse and checks
//     that every agent reads back as the spec it was given, so it never
//     returns a file that does not validate or that means something else.
//   - What the source cannot tell is said in a comment, never guessed: an
//     agent deployed from a build (the API returns neither its buildId nor
//     its image) is written commented out with a placeholder, and keys
//     without a pipecat.yaml field are named in a comment.
//   - pcc-deploy.toml is read with go-toml's unstable parser, which keeps
//     positions; an unknown key or a bad value is an error at FILE:LINE:COL.
//
// Read is the only I/O, through plan.Reader; nothing here reads flags or
// the environment.
package adopt
