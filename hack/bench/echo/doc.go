// Command echo is the plain ws:// backend of the data-path benchmark: the
// same process stands behind every setup (wss-operator proxy, nginx,
// HAProxy) and is the direct ws:// baseline.
//
// It is a minimal hand-written RFC 6455 server, one goroutine per
// connection, so that its own cost is small and equal for every setup:
//
//	/source?size=N  streams unmasked binary messages of N bytes until the
//	                client goes away (the one-way throughput figure)
//	any other path  echoes every frame back unmasked with the same opcode
//	                and FIN bit (fragmented messages come back fragmented);
//	                answers ping with pong and close with close
//
// It listens on loopback only and refuses any other --listen address.
package main
