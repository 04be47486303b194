// Package certtest builds throw-away PKIs for tests: a root CA, intermediates
// and leaves with any validity window, key type and size, host names, CA flag
// and signature algorithm (including SHA-1, and MD5 by re-signing the DER,
// which crypto/x509 no longer creates), plus the key encodings real users
// hand us (PKCS#1, SEC1, PKCS#8, legacy "Proc-Type: 4,ENCRYPTED" and PKCS#8
// "ENCRYPTED PRIVATE KEY").
//
// It is the one certificate generator of the tests (certcheck, probe, proxy,
// the commands, the controller, the real-server, real-client and e2e
// suites and the load generator's): every function panics on error, because
// an error here is a mistake in the test, not a condition to handle.
//
//	root := certtest.NewCA(certtest.Options{CommonName: "Test Root"})
//	ica := root.Issue(certtest.Options{CommonName: "Test Intermediate", IsCA: true})
//	leaf := ica.Issue(certtest.Options{Hosts: []string{"localhost", "127.0.0.1"}})
//	leaf.WriteTLSFiles(dir) // tls.crt: leaf and ica; tls.key
//	os.WriteFile("ca.crt", root.CertPEM, 0o600)
//	incomplete := leaf.TLSCertificateWith() // a server that forgets ica
package certtest
