package probe

import wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"

// advice is the fix for each live-probe reason, written for the person who
// owns the endpoint.
var advice = map[string]string{
	wssv1.ReasonDNSFailure: "The host name does not resolve. Check the spelling of the URL and that a DNS record " +
		"(or Service/Ingress) exists for it; to test a server before DNS points at it, keep the URL and add " +
		"--connect-to IP:PORT.",
	wssv1.ReasonConnectionRefused: "Nothing listens on that address and port. Check the port in the URL (443 is the " +
		"default for wss://, 80 for ws://), that the server or its TLS sidecar runs, and that the Service targets the " +
		"sidecar's TLS port.",
	wssv1.ReasonConnectionReset: "The peer reset the TCP connection. Typical causes: a firewall or load balancer " +
		"that drops the protocol, a proxy that expects PROXY protocol or plain HTTP, or a server that crashes on " +
		"the request. Look at the server's and the load balancer's logs at the probe's time.",
	wssv1.ReasonTimeout: "The phase named in the message did not finish in time. For connect: a firewall drops " +
		"packets or the address is wrong. For tls: the port accepts TCP but does not speak TLS first (e.g. it waits " +
		"for the client to talk), or a middlebox stalls. For upgrade: the server does not answer the HTTP upgrade. " +
		"Raise --timeout only if the server is merely slow.",
	wssv1.ReasonNotTLS: "The port answers, but not with TLS: it is probably the plain HTTP/ws:// port. Probe the TLS " +
		"port (the sidecar's, 8443 by default), or use ws:// if this endpoint is meant to be plain.",
	wssv1.ReasonProtocolVersionMismatch: "Client and server have no TLS version in common. Allow TLS 1.2 and 1.3 on " +
		"the server (the sidecar's --min-tls), or align --min-tls/--max-tls with what the clients actually use.",
	wssv1.ReasonNoSharedCipher: "Client and server have no cipher suite or key-exchange group in common; the message " +
		"lists what the client offered. Widen the server's --cipher-suites/--curves (the Go defaults are safe), or " +
		"check that the certificate's key type fits the suites (ECDSA suites need an ECDSA key, RSA suites an RSA key).",
	wssv1.ReasonClientCertificateRequired: "The server requires mutual TLS. Pass a client certificate and key " +
		"(--cert/--key) issued by a CA in the server's client CA bundle (the sidecar's ca.crt), or relax the " +
		"server's --client-auth if clients are not meant to present one. If a certificate was sent, it was not " +
		"accepted: check its issuer, validity and the clientAuth extended key usage.",
	wssv1.ReasonCertificateExpired: "A served certificate is past its notAfter date. Renew it (with cert-manager: check " +
		"the Certificate's Ready condition and the issuer) and make sure the server reloaded the new Secret.",
	wssv1.ReasonCertificateNotYetValid: "A served certificate starts in the future: the issuer's or the server's clock " +
		"is wrong, or a certificate was issued with a future notBefore. Check NTP on the issuing machine and the " +
		"client, or re-issue.",
	wssv1.ReasonHostnameMismatch: "The certificate does not cover the host name in the URL. Re-issue it with that name " +
		"in its DNS subject alternative names (spec.tls hosts / the Certificate's dnsNames); the common name is not " +
		"used. If the URL is an alias, probe the name the certificate was issued for.",
	wssv1.ReasonChainIncomplete: "The server sends its certificate without the intermediate CA certificate(s) that " +
		"lead to a trusted root. Put the leaf first and then every intermediate, in order, into tls.crt (cert-manager " +
		"does this itself; a hand-made Secret often lacks them). If the issuing CA is private, the client must trust " +
		"it instead: pass it with --ca.",
	wssv1.ReasonUnknownAuthority: "The chain ends at a root the client does not trust, e.g. a self-signed certificate. " +
		"Use a certificate from a CA the clients trust, or distribute your CA to the clients (for the probe: --ca " +
		"FILE).",
	wssv1.ReasonInsecureSignatureAlgorithm: "A certificate in the chain is signed with SHA-1 or MD5, which clients " +
		"reject. Re-issue it with a SHA-256 (or stronger) signature.",
	wssv1.ReasonKeyMismatch: "The server's private key does not belong to the certificate it sends: tls.key does not " +
		"belong to tls.crt. Put the matching pair into the Secret (`wss-operator inspect --cert tls.crt --key tls.key` " +
		"shows which), and make sure a rotation updated both keys together.",
	wssv1.ReasonUpgradeRejected: "TLS works, but the HTTP server did not accept the WebSocket upgrade; the message shows " +
		"its status line. 404: wrong path in the URL. 400/426: a proxy in between strips the Upgrade/Connection " +
		"headers. 401/403: authentication or an Origin check (--origin).",
	wssv1.ReasonBackendUnavailable: "The TLS side answered 502/503/504: the WebSocket server behind it is down or not " +
		"listening on the backend port. Check the backend container and that the sidecar's --backend points at its " +
		"port.",
	wssv1.ReasonBadAcceptKey: "The server answered 101 without a correct Sec-WebSocket-Accept. Something between client " +
		"and server (a proxy, or a hand-written handshake) rewrites or fakes the upgrade; browsers refuse it. Use a " +
		"standards-compliant WebSocket server or proxy.",
	wssv1.ReasonSubprotocolMismatch: "A subprotocol was requested and the server chose none of them (or one that was not " +
		"offered). Make the server support the subprotocol the clients ask for, or ask for one it supports " +
		"(--subprotocol).",
	wssv1.ReasonPingTimeout: "The upgrade succeeded but no pong came back in time: the server does not read from the " +
		"connection (pongs are sent by a server that reads), or something in between buffers frames. Make sure the " +
		"server reads and answers control frames.",
	wssv1.ReasonIdleTimeout: idleAdvice,
	wssv1.ReasonStaleCertificate: "A pod still serves an older certificate than the Secret holds: the sidecar has not " +
		"reloaded it. Check the sidecar's certificate reload metrics and logs, or restart the pod.",
	wssv1.ReasonUnknown: "The probe could not name the problem; the message carries the raw error. Reproduce with " +
		"`wss-operator probe URL --output json` and compare with the server's logs.",
}

// Advice is what to do about a live-probe reason; "" for Healthy and for
// strings outside the vocabulary.
func Advice(reason string) string {
	return advice[reason]
}
