// Package pack packs a Pipecat Cloud build context the way the official
// deploy action does, so that a context packed here and one packed by the
// action from the same directory (without .git) are the same uncompressed
// tar, byte for byte. Scan walks and checks a context without reading its
// files; Write streams the gzipped tar, hashing it; Pack hashes without
// keeping the bytes; Spool keeps them in a temporary file for the upload.
//
// The reference is daily-co/pipecat-cloud-deploy-action, src/build.js
// (createDeterministicTarball, v2.0.2, commit b82f505; unchanged through
// v2.1.2), which packs with tar-stream 3.1.8 (its package-lock.json). Each
// rule below names the code it reproduces where it is implemented.
//
// Contract of Pack:
//   - The file set: regular files under the context directory that no
//     exclusion pattern matches. With a .dockerignore, its patterns plus the
//     always-excluded .env, .env.*, *.pem and *.key; without one, the
//     action's default list. Anything named .git, at any depth, is never
//     packed (the action packs it): a checkout keeps its token there. Patterns follow the action's matcher, not
//     Docker's: a pattern is tested against every path component and the
//     whole relative path; without '*' it is an exact name; '*' matches any
//     run of characters including '/', and beside a '*' a '?' makes the
//     character before it optional (the action builds a regular
//     expression); '!' re-includes nothing (so no pattern can bring back a
//     secret); a leading or trailing '/' makes a pattern match nothing. An
//     excluded directory is not descended into.
//   - Symbolic links, sockets, devices and FIFOs are never packed and never
//     followed (the action skips them). A symlink that resolves outside the
//     context is refused with a *SymlinkError; the others are listed in
//     Archive.Skipped.
//   - Order: by the relative path compared as UTF-16 code units, which is
//     what JavaScript's < does (the action calls it code point order; the
//     two differ only between U+E000–U+FFFF and characters above U+FFFF).
//   - Headers: ustar with mtime 0, uid/gid 0, empty user and group names,
//     mode 0755 when any execute bit is set else 0644, typeflag '0'; names
//     that are not ASCII or do not fit ustar get a PAX path record, both
//     headers named "PaxHeader", exactly as tar-stream writes them.
//   - A context whose files add up to more than the limit (500 MiB unless
//     Options.MaxSize says otherwise) is refused before any file's content
//     is read, with a *TooLargeError naming the five largest files.
//   - The upload is that tar gzipped with a zero header mtime and OS byte 3
//     (the 10-byte header equals Node's). The deflate stream is Go's, not
//     zlib's, so the gzip bytes, and therefore ContextHash, differ from the
//     action's for the same tree; the server derives its hash from the
//     uploaded bytes (the S3 ETag), so a hash is only comparable with
//     another hash made by this package.
//   - ContextHash is the first 16 hex digits of the MD5 of the uploaded
//     bytes.
//
// Where the action would fail later, or silently pack something else, Pack
// refuses up front with a located error: a Dockerfile that is missing,
// excluded or not a regular file (the action uploads without it and the
// cloud build fails); a symlink escaping the context (the action skips it);
// a .dockerignore that cannot be read (the action warns and falls back to
// the defaults), is not UTF-8 (it reads replacement characters), is not a
// regular file (a FIFO would block), or is over MaxIgnoreSize or
// MaxIgnorePatterns; a name that is not UTF-8 or a pattern whose '?'
// JavaScript rejects (the action crashes); a name whose '\' would make an
// absolute, '..' or .git entry, or two files one entry; a hard link not
// all inside the context that git does not track unmodified.
//
// Packing is deterministic: the same tree gives the same bytes, whatever
// the files' mtimes, owners or creation order. Errors name the context and
// the path inside it.
package pack
