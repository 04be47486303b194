// Package certcheck inspects a TLS certificate chain, its private key and an
// optional CA bundle offline, as PEM bytes, and reports every problem that
// would stop a TLS server or its clients from using them: malformed or
// missing PEM, an encrypted or mismatched key, an incomplete or misordered
// chain, a validity window that excludes now, host names the leaf does not
// cover, weak keys and insecure signature algorithms, a chain larger than
// clients accept or holding certificates off the leaf's path; CheckClientCA
// checks a client CA bundle.
//
// Each problem is a Finding named by a fixed reason string from
// api/v1alpha1 (the inspect reasons of README.md) with a message that says
// what is wrong and in which file or Secret key; Fix gives the one-line
// remedy for a reason, from api/v1alpha1's remedy table. The `wss-operator
// inspect` subcommand prints a Report, and the controller calls Check on a
// Secret's tls.crt, tls.key and ca.crt before anything serves them. Messages
// never contain key material. Who issued whom, self-signed and insecure
// signatures are internal/certinfo's answers, the same the live probe uses.
package certcheck
