package v1alpha1

// Reporter names who reports a reason, and so which remedy fits it: the same
// reason can call for different advice live, offline and in the operator
// (KeyMismatch live is a server that signs with a foreign key; offline it is
// two files that do not match).
type Reporter string

// Reporters, one per table of README.md's "Reasons" section.
const (
	// ByProbe is the live handshake: wss-operator probe and the condition
	// HandshakeHealthy ("Live handshake", column "what to do").
	ByProbe Reporter = "probe"
	// ByInspect is certificate inspection: wss-operator inspect and the
	// condition CertificateReady ("Certificate inspection", column "fix").
	ByInspect Reporter = "inspect"
	// ByOperator is the controller's own conditions and events ("Operator",
	// column "fix").
	ByOperator Reporter = "operator"
)

// Remedy is what to do about reason as by reports it: probe's advice,
// inspect's fix and the README's remedy columns all come from here. It is ""
// for Healthy and for a reason by does not report.
func Remedy(by Reporter, reason string) string { return remedies[by][reason] }

// clientCAInvalid is the same fix for inspect and for the operator, which
// checks the client CA Secret as inspect does.
const clientCAInvalid = "put the PEM certificates of the CAs that issue client certificates (basicConstraints CA:TRUE) " +
	"into the client CA Secret's ca.crt, and nothing else"

// remedies is the one remedy table, by reporter and reason. Live advice is
// written in sentences for the person who owns the endpoint; inspect's fixes
// are one line each, printed after "fix:" and appended to condition
// messages. remedies_test.go checks that README.md shows these texts.
var remedies = map[Reporter]map[string]string{
	ByProbe: {
		ReasonDNSFailure: "The host name does not resolve. Check the spelling of the URL and that a DNS record " +
			"(or Service/Ingress) exists for it; to test a server before DNS points at it, keep the URL and add " +
			"--connect-to IP:PORT.",
		ReasonConnectionRefused: "Nothing listens on that address and port. Check the port in the URL (443 is the " +
			"default for wss://, 80 for ws://), that the server or its TLS sidecar runs, and that the Service targets the " +
			"sidecar's TLS port.",
		ReasonConnectionReset: "The peer reset the TCP connection. Before the ClientHello, typical causes are a firewall " +
			"or load balancer that drops the protocol, a proxy that expects PROXY protocol or plain HTTP, or a server " +
			"that crashes on the request: look at the server's and the load balancer's logs at the probe's time. After " +
			"the ClientHello with nothing sent back, the server cannot load its certificate or key (mismatched, or " +
			"encrypted without a passphrase): check its error log and `wss-operator inspect` (if it logs nothing, " +
			"suspect a PROXY-protocol load balancer in front).",
		ReasonTimeout: "The phase named in the message did not finish in time. For connect: a firewall drops " +
			"packets or the address is wrong. For tls: the port accepts TCP but does not speak TLS first (e.g. it waits " +
			"for the client to talk), or a middlebox stalls. For upgrade: the server does not answer the HTTP upgrade. " +
			"Raise --timeout only if the server is merely slow.",
		ReasonNotTLS: "The port answers, but not with TLS: it is probably the plain HTTP/ws:// port. Probe the TLS " +
			"port (the sidecar's, 8443 by default), or use ws:// if this endpoint is meant to be plain.",
		ReasonProtocolVersionMismatch: "Client and server have no TLS version in common. Allow TLS 1.2 and 1.3 on " +
			"the server (the sidecar's --min-tls), or align --min-tls/--max-tls with what the clients actually use. " +
			"The message lists what the client offered.",
		ReasonNoSharedCipher: "Client and server have no cipher suite or key-exchange group in common; the message " +
			"lists the versions, suites and groups the client offered. Widen the server's --cipher-suites/--curves (the " +
			"Go defaults are safe), or check that the certificate's key type fits the suites (ECDSA suites need an " +
			"ECDSA key, RSA suites an RSA key). When nothing at all is accepted: " +
			"`wss-operator inspect --cert tls.crt --key tls.key`.",
		ReasonClientCertificateRequired: "The server requires mutual TLS. Pass a client certificate and key " +
			"(--cert/--key) issued by a CA in the server's client CA bundle (the sidecar's ca.crt), or relax the " +
			"server's --client-auth if clients are not meant to present one. If a certificate was sent, it was not " +
			"accepted: check its issuer, validity and the clientAuth extended key usage.",
		ReasonCertificateExpired: "A served certificate is past its notAfter date. Renew it (with cert-manager: check " +
			"the Certificate's Ready condition and the issuer) and make sure the server reloaded the new Secret.",
		ReasonCertificateNotYetValid: "A served certificate starts in the future: the issuer's or the server's clock " +
			"is wrong, or a certificate was issued with a future notBefore. Check NTP on the issuing machine and the " +
			"client, or re-issue.",
		ReasonHostnameMismatch: "The certificate does not cover the host name in the URL. Re-issue it with that name " +
			"in its DNS subject alternative names (spec.tls hosts / the Certificate's dnsNames); the common name is not " +
			"used. If the URL is an alias, probe the name the certificate was issued for.",
		ReasonChainIncomplete: "The server sends its certificate without the intermediate CA certificate(s) that " +
			"lead to a trusted root. Put the leaf first and then every intermediate, in order, into tls.crt (cert-manager " +
			"does this itself; a hand-made Secret often lacks them). If the issuing CA is private, the client must trust " +
			"it instead: pass it with --ca.",
		ReasonUnknownAuthority: "The chain ends at a root the client does not trust, e.g. a self-signed certificate. " +
			"Use a certificate from a CA the clients trust, or distribute your CA to the clients (for the probe: --ca " +
			"FILE).",
		ReasonInsecureSignatureAlgorithm: "A certificate in the chain is signed with SHA-1 or MD5, which clients " +
			"reject. Re-issue it with a SHA-256 (or stronger) signature.",
		ReasonKeyMismatch: "The server's private key does not belong to the certificate it sends: tls.key does not " +
			"belong to tls.crt. Put the matching pair into the Secret (`wss-operator inspect --cert tls.crt --key tls.key` " +
			"shows which is wrong), and make sure a rotation updated both keys together.",
		ReasonUpgradeRejected: "TLS works, but the HTTP server did not accept the WebSocket upgrade; the message shows " +
			"its status line. 404: wrong path in the URL. 400/426/505: a proxy in between speaks HTTP/1.0 to the " +
			"WebSocket server or strips the Upgrade/Connection headers (nginx: `proxy_http_version 1.1; " +
			"proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";`). 401/403: " +
			"authentication or an Origin check (--origin).",
		ReasonBackendUnavailable: "The TLS side is up (it answered 502/503/504, or closed before any HTTP byte), but " +
			"the WebSocket server behind it is down or not listening on the backend port. Check the backend container " +
			"and that the sidecar's --backend (stunnel `connect`, HAProxy `server`) points at its port.",
		ReasonBadAcceptKey: "The server answered 101 without a correct Sec-WebSocket-Accept. Something between client " +
			"and server (a proxy, or a hand-written handshake) rewrites or fakes the upgrade; browsers refuse it. Use a " +
			"standards-compliant WebSocket server or proxy.",
		ReasonSubprotocolMismatch: "A subprotocol was requested and the server chose none of them (or one that was not " +
			"offered). Make the server support the subprotocol the clients ask for, or ask for one it supports " +
			"(--subprotocol).",
		ReasonPingTimeout: "The upgrade succeeded but no pong came back in time: the server does not read from the " +
			"connection (pongs are sent by a server that reads), or something in between buffers frames. Make sure the " +
			"server reads and answers control frames.",
		ReasonIdleTimeout: "Something on the path closes connections that carry no traffic for a while; the message says " +
			"after how long. Raise its idle timeout above the longest silence of your clients, or make client or server " +
			"send pings more often than it: nginx `proxy_read_timeout` and `proxy_send_timeout` (default 60s; " +
			"ingress-nginx annotations nginx.ingress.kubernetes.io/proxy-read-timeout and proxy-send-timeout); HAProxy " +
			"`timeout tunnel` (or, without it, `timeout client` and `timeout server`); AWS ALB/ELB idle timeout " +
			"(idle_timeout.timeout_seconds, default 60s) and NLB TCP idle timeout (350s); Google Cloud backend service " +
			"timeout; Azure Load Balancer idle timeout (4 minutes by default); Envoy/Istio `idle_timeout` and " +
			"`stream_idle_timeout`; Cloudflare (100s). Also check the WebSocket server's own idle or read timeout.",
		ReasonStaleCertificate: "A pod still serves an older certificate than the Secret holds: the sidecar has not " +
			"reloaded it. It reloads a rotated certificate within seconds of the kubelet updating the mounted Secret; " +
			"if this persists, check the sidecar's `wss_proxy_certificate_reloads_total{result=\"failure\"}` and its " +
			"logs (a new pair that fails validation is refused and the old one kept), or restart the pod.",
		ReasonUnknown: "The probe could not name the problem; the message carries the raw error. Reproduce with " +
			"`wss-operator probe URL --output json` and compare with the server's logs.",
	},
	ByInspect: {
		ReasonMissingData: "put the PEM certificate chain in tls.crt and the PEM private key in tls.key " +
			"(kubectl create secret tls NAME --cert=chain.pem --key=key.pem)",
		ReasonMalformedPEM: "keep only PEM blocks (-----BEGIN ...----- to -----END ...-----): certificates in tls.crt and ca.crt, " +
			"the key in tls.key; convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`",
		ReasonEncryptedPrivateKey: "decrypt the key: `openssl pkey -in key.pem -out key-clear.pem`, and store key-clear.pem as tls.key",
		ReasonKeyMismatch: "tls.key does not belong to tls.crt, re-export the pair; compare " +
			"`openssl x509 -noout -pubkey -in tls.crt` with `openssl pkey -pubout -in tls.key`",
		ReasonChainTooLarge: "put only the leaf and its intermediates in tls.crt (at most 10 certificates, 32768 bytes); " +
			"trust anchors belong in the clients' trust store or ca.crt, not in the served chain",
		ReasonChainExtraCertificates: "remove the listed certificates from tls.crt: keep the leaf, then each intermediate once " +
			"(`openssl crl2pkcs7 -nocrl -certfile tls.crt | openssl pkcs7 -print_certs -noout` lists them)",
		ReasonChainMisordered: "order tls.crt as the leaf, then its issuer, then that issuer's issuer; the root may be left out",
		ReasonChainIncomplete: "put the leaf first, then each intermediate, in tls.crt " +
			"(your CA's \"full chain\" file), and the root in ca.crt (--ca)",
		ReasonCertificateExpired: "renew the certificate and replace the Secret " +
			"(cert-manager: `cmctl renew NAME`; check why automatic renewal failed)",
		ReasonCertificateNotYetValid: "wait until notBefore, or check the clock of the machine that issued the certificate " +
			"and of the cluster nodes",
		ReasonHostnameNotCovered: "reissue with every host name as a DNS subjectAltName " +
			"(a wildcard *.example.com covers exactly one label; the common name is ignored)",
		ReasonWeakKey: "reissue with an RSA key of at least 2048 bits or an ECDSA P-256 key " +
			"(cert-manager: spec.privateKey.algorithm/size)",
		ReasonInsecureSignatureAlgorithm: "reissue the certificate (and any intermediate) signed with SHA-256 or stronger; " +
			"clients reject SHA-1 and MD5",
		ReasonExpiringSoon:    "renew before notAfter; with cert-manager check the Certificate's Ready condition and renewBefore",
		ReasonClientCAInvalid: clientCAInvalid,
	},
	ByOperator: {
		ReasonClientCAInvalid: clientCAInvalid,
		ReasonClientHandshakeFailures: "Read the example: an old TLS version or no shared suite means the client needs " +
			"a newer stack or a wider spec.tls.profile; UnknownAuthority means the client does not trust your CA; " +
			"HostnameMismatch names the SNI to add to spec.tls.hosts.",
		ReasonClientsLockedOut: "Intended? Otherwise go back to the previous profile, or Old for the clients the " +
			"message names.",
		ReasonWorkloadNotFound: "Create the workload or correct spec.workloadRef; the operator notices as soon as it " +
			"appears.",
		ReasonSidecarConflict: "Change spec.tls.port, rename the clashing container/port/volume, or delete the foreign " +
			"Service. The operator reports rather than fights: it never overwrites someone else's field.",
		ReasonCertificateNotReady: "Follow the message: kubectl describe certificate NAME, check the Issuer/ClusterIssuer " +
			"in spec.tls.issuerRef.",
		ReasonRolloutInProgress: "Wait; if it stays, kubectl rollout status and the pods' events say why (image pull, " +
			"resources).",
		ReasonDrainExceedsGracePeriod: "Lower drainTimeout or raise terminationGracePeriodSeconds. Native sidecars stop " +
			"after the app containers, so leave room for the app's own shutdown too.",
	},
}
