package schema

import "bytes"

// yaml.v3 builds the whole node tree before anyone can count it: a 5 MiB
// "{1,1,1,...}" is 5 million nodes and a gigabyte. So before parsing,
// nodeEstimate bounds the number of nodes from the text alone, with a
// count that can only over-estimate (fuzzed by FuzzNodeEstimate), and
// the file is refused when the bound passes maxTokens. The exact count
// (maxNodes) is checked after parsing, as before.
//
// Why the count bounds the nodes: every node yaml.v3 builds either starts
// at a token of the text (a scalar, an alias, a tag or anchor on an empty
// value, "[" or "{"), which begins after a blank or an indicator, or is
// implied by an indicator: a block mapping by the ":" or "?" of its first
// key, a block sequence by its first "-", an empty key or value by the
// ":", "?", "-" or "," next to it, a single-pair mapping in a flow
// sequence by its ":". yaml.v3 has no empty keys ("{: a}" is an error).
// Each byte costs the number of nodes it may start
// or imply, at most:
//
//	token start (after a blank, an indicator or a quote)  1
//	"?"      (mapping, empty key, empty value)             3
//	":"      (mapping, empty value; yaml.v3 has no empty key) 2
//	"{"      (mapping, empty value of its last key)        2
//	"-" before a blank (sequence, empty entry)             2
//	"[" (sequence), "," (empty value of the key before)    1
//
// plus one for the document and slack for a byte-order mark. A comment
// ("#" after a blank) is skipped to the end of its line when the rest of
// the line holds no quote character: then either it is a comment, or it
// lies inside a quoted or block scalar that does not end on this line, so
// it holds no node either way. Quoted text is counted as if it were
// plain, which only over-estimates.

// maxTokens bounds the estimate. Real configs cost at most four per node
// (a "key: value" line is two nodes and four), so a file within maxNodes
// passes; the densest hostile text ("{1,1,...}") costs one per node, so
// yaml.v3 builds at most maxTokens nodes.
const maxTokens = 4 * maxNodes

// nodeCost is what each byte adds to the estimate, besides being a token
// start.
var nodeCost = [256]int{':': 2, '?': 3, '{': 2, '[': 1, ',': 1}

// separates tells the bytes after which a non-blank byte starts a token.
var separates = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n,[]{}:?-\"'#!&*|>%@`") {
		t[c] = true
	}
	return t
}()

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// nodeEstimate returns an upper bound of the nodes yaml.v3 builds for
// data, counting until it passes limit; at is the offset where it did, or
// -1. data is as Parse hands it over: valid UTF-8 whose only line breaks
// are LF and CRLF.
func nodeEstimate(data []byte, limit int) (est, at int) {
	est = 2 // the document; a byte-order mark hides the first token start
	for i := 0; i < len(data); i++ {
		c := data[i]
		if isBlank(c) {
			continue
		}
		start := i == 0 || separates[data[i-1]]
		if c == '#' && (i == 0 || isBlank(data[i-1])) {
			end := bytes.IndexAny(data[i:], "\r\n")
			if end < 0 {
				end = len(data) - i
			}
			if bytes.IndexAny(data[i:i+end], "\"'") < 0 {
				i += end - 1
				continue
			}
		}
		if start {
			est++
		}
		est += nodeCost[c]
		if c == '-' && (i+1 == len(data) || isBlank(data[i+1])) {
			est += 2
		}
		if est > limit {
			return est, i
		}
	}
	return est, -1
}
