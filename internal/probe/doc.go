// Package probe diagnoses a live wss:// (or ws://) endpoint in one pass:
// DNS, TCP connect, TLS handshake, WebSocket upgrade and a ping/pong round
// trip, each timed. When something fails it names the exact reason from the
// project's closed vocabulary (api/v1alpha1 reasons: ChainIncomplete,
// KeyMismatch, NoSharedCipher, ...) and the phase it happened in, instead of
// the "handshake failure" a browser shows.
//
// The TLS handshake runs with InsecureSkipVerify and the package verifies the
// server's chain itself, so the served certificates are reported even when
// verification fails, and each verification failure is classified from the
// chain that was actually served (with internal/certinfo's chain
// answers, the same inspect uses).
//
// Run is used by the `wss-operator probe` subcommand and by the controller's
// periodic probe loop (internal/probeloop); Compat (compat.go) plays a table
// of client profiles (TLS 1.3 browsers, Java 8, IE 11 on Windows 7,
// Android 4) against an endpoint; Advice gives the fix for each reason, from
// api/v1alpha1's remedy table (internal/tlsnames maps user-facing TLS
// version, cipher-suite and curve names to crypto/tls values). The WebSocket
// handshake is written out here, byte by byte, so that every detail of the
// server's answer can be judged; the frame codec under the ping/pong round
// trip is internal/wsframe's.
package probe
