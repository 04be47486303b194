// Package wsframe is the one RFC 6455 frame codec of the project: the
// Sec-WebSocket-Accept key, opcodes and close codes, frame headers (decoded
// from a byte slice or a bufio.Reader, with a payload-length limit, and
// encoded), masking, and close-frame payloads.
//
// It has no policy: which opcodes, reserved bits or lengths are acceptable
// is for the caller (the probe refuses masked server frames, the proxy only
// looks for frame boundaries). Decoding and masking do not allocate, so it
// serves the proxy's frame tracker (internal/proxy), the probe's client
// (internal/probe) and the data-path benchmark's load generator and echo
// backend (bench/datapath) alike.
package wsframe
