// Package pack packs a Pipecat Cloud build context the way the official
// deploy action (daily-co/pipecat-cloud-deploy-action, src/build.js) does,
// so that both pack the same uncompressed tar from the same directory
// (except .git, which is never packed here).
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
//   - Scan walks and checks a context without reading a file's content;
//     Write streams the gzipped tar, hashing it; Pack hashes without
//     keeping the bytes; Spool keeps them in a temporary file for the
//     upload. Memory is bounded by buffers, not by the context.
//   - Anything named .git, at any depth, is never packed: a checkout keeps
//     its token there. No entry is absolute or has a '..' component: a
//     name whose '\' would make one is refused, as are a FIFO or oversized
//     .dockerignore and a hard link git does not track unmodified.
//
// Each rule names the action's code it reproduces where it is implemented;
// docs/architecture.md lists them all.
package pack
