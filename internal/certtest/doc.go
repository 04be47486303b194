// Package certtest builds throw-away PKIs for tests: a root CA, intermediates
// and leaves with any validity window, key type and size, host names, CA flag
// and signature algorithm (including SHA-1, and MD5 by re-signing the DER,
// which crypto/x509 no longer creates), plus the key encodings real users
// hand us (PKCS#1, SEC1, PKCS#8, legacy "Proc-Type: 4,ENCRYPTED" and PKCS#8
// "ENCRYPTED PRIVATE KEY").
//
// It is for tests only (certcheck, probe, proxy and the controller share it):
// every function panics on error, because an error here is a mistake in the
// test, not a condition to handle.
//
//	root := certtest.NewCA(certtest.Options{CommonName: "Test Root"})
//	ica := root.Issue(certtest.Options{CommonName: "Test Intermediate", IsCA: true})
//	leaf := ica.Issue(certtest.Options{Hosts: []string{"localhost", "127.0.0.1"}})
//	os.WriteFile("tls.crt", certtest.PEMs(leaf, ica), 0o600)
//	os.WriteFile("tls.key", leaf.KeyPEM, 0o600)
//	os.WriteFile("ca.crt", root.CertPEM, 0o600)
package certtest
