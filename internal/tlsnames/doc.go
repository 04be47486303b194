// Package tlsnames is the one mapping between the names users write — in
// WSSEndpoint specs, in `proxy` and `probe` flags — and crypto/tls's TLS
// versions, cipher suites and key-exchange groups — and the server TLS
// profiles (profiles.go: modern, intermediate, old after Mozilla's
// guidelines). The WSSEndpoint CRD's enums are tested against it. It also
// holds the TLS alerts the probe and the proxy tell apart (alerts.go): their
// codes, RFC names, and how to read a received alert out of crypto/tls's
// error.
package tlsnames
