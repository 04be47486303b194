package realservers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

// expand replaces {KEY} in tmpl with vars[KEY].
func expand(tmpl string, vars map[string]string) string {
	for k, v := range vars {
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", v)
	}
	return tmpl
}

// wsProxy is the nginx location that proxies WebSockets correctly.
const wsProxy = `proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";`

// nginxConf is a foreground nginx with every path inside the temp dir.
const nginxConf = `{USER}
worker_processes 1;
pid {DIR}/nginx.pid;
error_log {DIR}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path {DIR}/tmp/body;
  proxy_temp_path {DIR}/tmp/proxy;
  fastcgi_temp_path {DIR}/tmp/fastcgi;
  uwsgi_temp_path {DIR}/tmp/uwsgi;
  scgi_temp_path {DIR}/tmp/scgi;
  server {
    listen 127.0.0.1:{PORT} ssl;
    server_name echo.test;
    ssl_certificate {DIR}/tls.crt;
    ssl_certificate_key {DIR}/tls.key;
    {SERVER}
    location / {
      proxy_pass http://{BACKEND};
      {LOCATION}
    }
  }
}
`

// nginx serves set on a free port, proxying to backend; server and location
// are extra directives.
func nginx(t *testing.T, set pemSet, backend, server, location string) *server {
	bin := need(t, "nginx")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "tls.crt", set.cert)
	writeFile(t, dir, "tls.key", set.key)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers would otherwise switch to nobody and lose the temp dir
	}
	port := freePort(t)
	conf := writeFile(t, dir, "nginx.conf", []byte(expand(nginxConf, map[string]string{
		"USER": user, "DIR": dir, "PORT": strconv.Itoa(port), "BACKEND": backend,
		"SERVER": server, "LOCATION": location,
	})))
	return start(t, dir, port, []string{bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf, "-g", "daemon off;"},
		filepath.Join(dir, "error.log"))
}

const haproxyConf = `global
  maxconn 64
defaults
  mode {MODE}
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  {TIMEOUTS}
frontend fe
  bind 127.0.0.1:{PORT} ssl crt {DIR}/tls.pem
  default_backend be
backend be
  server s1 {BACKEND}
`

// haproxy terminates TLS with set in mode (http or tcp) before backend.
func haproxy(t *testing.T, set pemSet, mode, backend, timeouts string) *server {
	bin := need(t, "haproxy")
	dir := t.TempDir()
	writeFile(t, dir, "tls.pem", append(append([]byte{}, set.cert...), set.key...))
	port := freePort(t)
	conf := writeFile(t, dir, "haproxy.cfg", []byte(expand(haproxyConf, map[string]string{
		"MODE": mode, "DIR": dir, "PORT": strconv.Itoa(port), "BACKEND": backend, "TIMEOUTS": timeouts,
	})))
	return start(t, dir, port, []string{bin, "-db", "-f", conf})
}

const stunnelConf = `foreground = yes
pid =
output = {DIR}/stunnel.log
[ws]
accept = 127.0.0.1:{PORT}
connect = {BACKEND}
cert = {DIR}/tls.crt
key = {DIR}/tls.key
`

// stunnel is an L4 TLS terminator in front of backend.
func stunnel(t *testing.T, set pemSet, backend string) *server {
	bin := need(t, "stunnel4", "stunnel")
	dir := t.TempDir()
	writeFile(t, dir, "tls.crt", set.cert)
	writeFile(t, dir, "tls.key", set.key)
	port := freePort(t)
	conf := writeFile(t, dir, "stunnel.conf", []byte(expand(stunnelConf, map[string]string{
		"DIR": dir, "PORT": strconv.Itoa(port), "BACKEND": backend,
	})))
	return start(t, dir, port, []string{bin, conf}, filepath.Join(dir, "stunnel.log"))
}

// phpTLS is testdata/ws_echo.php on stream_socket_server('tls://…').
func phpTLS(t *testing.T, set pemSet) *server {
	bin := need(t, "php")
	script, err := filepath.Abs("testdata/ws_echo.php")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crt := writeFile(t, dir, "tls.crt", set.cert)
	key := writeFile(t, dir, "tls.key", set.key)
	port := freePort(t)
	return start(t, dir, port, []string{bin, script, "tls://127.0.0.1:" + strconv.Itoa(port), crt, key})
}

// deadPort is a loopback address where nothing listens (a backend that is down).
func deadPort(t *testing.T) string { return wstest.FreeAddr(t).String() }
