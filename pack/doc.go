// Package pack packs a Pipecat Cloud build context the way the official
// deploy action (daily-co/pipecat-cloud-deploy-action, src/build.js) does,
// so that both pack the same uncompressed tar from the same directory.
//
//   - Pack takes the regular files no exclusion pattern matches (the
//     action's .dockerignore matcher, plus .env, .env.*, *.pem and *.key
//     always), in the action's order, with its tar headers.
//   - Symbolic links and special files are never packed; a link out of the
//     context, a missing Dockerfile or a context over Options.MaxSize is a
//     located error before anything is uploaded.
//   - Packing is deterministic: the same tree gives the same bytes,
//     whatever the files' mtimes, owners or creation order.
//   - ContextHash is comparable only with hashes made by this package: the
//     gzip stream is Go's, not zlib's.
//
// Each rule names the action's code it reproduces where it is implemented;
// docs/architecture.md lists them all.
package pack
