// Package echo is the benchmark's plain ws:// backend, one connection at a
// time: Serve answers the upgrade and then echoes frames or, on /source,
// streams messages, or (ServeHub, /broadcast) joins a Hub that pushes a
// timestamped message to every member on a fixed interval. The echo command listens and calls it; the load
// generator's tests use it in-process.
package echo
