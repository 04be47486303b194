package probe

import wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"

// Advice is what to do about a live-probe reason: the live handshake's
// remedy in api/v1alpha1's remedy table (the README shows the same); "" for
// Healthy and for strings outside the vocabulary.
func Advice(reason string) string {
	return wssv1.Remedy(wssv1.ByProbe, reason)
}

// Advice for failures whose facts point to a cause the reason's general
// advice does not name.
const (
	silentServerAdvice = "The server accepted the TCP connection and got the ClientHello, then closed or reset it " +
		"without sending a single byte: it could not complete a TLS handshake at all. Look at the server's error log " +
		"at the probe's time. The usual cause is that it cannot load its certificate or key per connection: the key " +
		"does not belong to the certificate, the certificate file does not start with the leaf, the key is encrypted and no " +
		"passphrase is configured, or a file is unreadable. Check them with `wss-operator inspect --cert tls.crt --key tls.key`. If the server logs nothing " +
		"at that time, something in front of it dropped the connection instead, e.g. a load balancer that expects " +
		"PROXY protocol."
	terminatorAdvice = "TLS is terminated by something that forwards the decrypted bytes (stunnel, hitch, HAProxy " +
		"`mode tcp`, a cloud TLS/TCP load balancer, the sidecar) and it could not reach the WebSocket server behind " +
		"it. Check that the backend process runs and listens on the address the terminator forwards to (stunnel " +
		"`connect`, HAProxy `server`, the sidecar's --backend), and the terminator's log."
	tlsPortAdvice              = "This port speaks TLS: probe it with wss://, or use the plain ws:// port if the endpoint has one."
	keyMismatchHandshakeAdvice = "The server cannot use its certificate for any handshake. Most likely its private key " +
		"does not belong to its certificate (OpenSSL servers such as nginx load e.g. an EC key beside an RSA " +
		"certificate, or a certificate file that starts with an intermediate, and then refuse every ClientHello); otherwise the key type fits none of its configured suites or " +
		"signature algorithms. Run `wss-operator inspect --cert tls.crt --key tls.key` on the files the server loads, " +
		"put the matching pair in place, and reload the server."
	http10Advice = "The WebSocket server refused the upgrade as it arrived, which is what happens when a proxy in front " +
		"speaks HTTP/1.0 to it or drops the hop-by-hop Upgrade and Connection headers. nginx needs, in the location " +
		"that proxies WebSockets: `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; " +
		"proxy_set_header Connection \"upgrade\";` (ingress-nginx does this itself). HAProxy in `mode http` passes " +
		"upgrades on its own; Apache needs mod_proxy_wstunnel or `ProxyPass ... upgrade=websocket`. If no proxy is " +
		"involved: 400/426 also mean the request lacked a header the server requires (check --origin and " +
		"--subprotocol)."
)
