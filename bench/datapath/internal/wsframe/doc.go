// Package wsframe is the minimal RFC 6455 framing that the benchmark's echo
// backend and load generator share: the accept key, frame headers, masking.
// It has no policy and no allocation on the hot path, so that neither side
// of the benchmark costs more than the proxies it measures.
package wsframe
