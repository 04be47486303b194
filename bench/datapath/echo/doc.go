// Command echo is the plain ws:// backend of the data-path benchmark: the
// same process stands behind every setup (wss-operator proxy, nginx,
// HAProxy) and is the direct ws:// baseline.
//
// It is a minimal hand-written RFC 6455 server, one goroutine per
// connection, so that its own cost is small and equal for every setup:
//
//	/source?size=N  streams unmasked binary messages of N bytes until the
//	                client goes away (the one-way throughput figure)
//	/broadcast      joins the fan-out hub: every --broadcast-interval
//	                (100ms) the backend writes one --broadcast-size (64 B)
//	                binary message to every /broadcast connection, its
//	                first 8 bytes the time it was written (UnixNano,
//	                big-endian), the 9th 'B', the next 8 the time of its
//	                round (the tick, the same for every connection); what
//	                the client sends is echoed back as on any other path
//	any other path  echoes every frame back unmasked with the same opcode
//	                and FIN bit (fragmented messages come back fragmented);
//	                answers ping with pong and close with close
//
// It listens on loopback only and refuses any other --listen address.
package main
