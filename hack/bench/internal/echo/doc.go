// Package echo is the benchmark's plain ws:// backend, one connection at a
// time: Serve answers the upgrade and then echoes frames or, on /source,
// streams messages. The echo command listens and calls it; the load
// generator's tests use it in-process.
package echo
