package certcheck

import wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"

// fixes are the one-line remedies, by reason.
var fixes = map[string]string{
	wssv1.ReasonMissingData: "put the PEM certificate chain in tls.crt and the PEM private key in tls.key " +
		"(kubectl create secret tls NAME --cert=chain.pem --key=key.pem)",
	wssv1.ReasonMalformedPEM: "keep only PEM blocks (-----BEGIN ...----- to -----END ...-----): certificates in tls.crt and ca.crt, " +
		"the key in tls.key; convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`",
	wssv1.ReasonEncryptedPrivateKey: "decrypt the key: `openssl pkey -in key.pem -out key-clear.pem`, and store key-clear.pem as tls.key",
	wssv1.ReasonKeyMismatch: "tls.key does not belong to tls.crt, re-export the pair; compare " +
		"`openssl x509 -noout -pubkey -in tls.crt` with `openssl pkey -pubout -in tls.key`",
	wssv1.ReasonChainIncomplete: "put the leaf first, then each intermediate, in tls.crt " +
		"(your CA's \"full chain\" file), and the root in ca.crt (--ca)",
	wssv1.ReasonChainMisordered: "order tls.crt as the leaf, then its issuer, then that issuer's issuer; the root may be left out",
	wssv1.ReasonCertificateExpired: "renew the certificate and replace the Secret " +
		"(cert-manager: `cmctl renew NAME`; check why automatic renewal failed)",
	wssv1.ReasonCertificateNotYetValid: "wait until notBefore, or check the clock of the machine that issued the certificate " +
		"and of the cluster nodes",
	wssv1.ReasonExpiringSoon: "renew before notAfter; with cert-manager check the Certificate's Ready condition and renewBefore",
	wssv1.ReasonHostnameNotCovered: "reissue with every host name as a DNS subjectAltName " +
		"(a wildcard *.example.com covers exactly one label; the common name is ignored)",
	wssv1.ReasonWeakKey: "reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key " +
		"(cert-manager: spec.privateKey.algorithm/size)",
	wssv1.ReasonChainTooLarge: "put only the leaf and its intermediates in tls.crt (at most 10 certificates, 32768 bytes); " +
		"trust anchors belong in the clients' trust store or ca.crt, not in the served chain",
	wssv1.ReasonChainExtraCertificates: "remove the listed certificates from tls.crt: keep the leaf, then each intermediate once " +
		"(`openssl crl2pkcs7 -nocrl -certfile tls.crt | openssl pkcs7 -print_certs -noout` lists them)",
	wssv1.ReasonClientCAInvalid: "put the PEM certificates of the CAs that issue client certificates (basicConstraints CA:TRUE) " +
		"into the client CA Secret's ca.crt, and nothing else",
	wssv1.ReasonInsecureSignatureAlgorithm: "reissue the certificate (and any intermediate) signed with SHA-256 or stronger; " +
		"clients reject SHA-1 and MD5",
}

// Fix is the one-line remedy for an inspect reason, "" for any other reason.
func Fix(reason string) string { return fixes[reason] }
