// Package adopt implements the import command (import being a Go keyword):
// it turns agents that already exist into a pipecat.yaml, from the live
// agents of an organization (Read, FromLive) or from the pcc-deploy.toml
// files of the official Pipecat Cloud CLI (FromPCCDeploy).
//
//   - Live agents map through plan.LiveSpec, so an imported file plans to
//     "No changes." against the organization it came from.
//   - Render writes deterministic YAML (agents by name, fields in Spec
//     order, shared values in defaults where that is shorter) and parses
//     its own output back, so it never returns a file that does not
//     validate or means something else.
//   - What the source cannot tell is said in a comment, never guessed.
//   - An unknown key or bad value in pcc-deploy.toml is an error at
//     FILE:LINE:COL.
//   - Read is the only I/O; nothing here reads flags or the environment.
package adopt
