#!/usr/bin/env bash
# The data-path benchmark (make bench): wss-operator proxy, nginx, HAProxy,
# Caddy, hitch and stunnel terminating TLS 1.3 in front of the same ws://
# echo backend, and that
# backend directly over ws:// as the baseline. It writes raw results only,
# into bench/results/<UTC time>/ (JSON per run), then has bench/report
# render BENCHMARKS.md's "Data path" part from them.
#
# Pinning: the load generator runs on CPU $BENCH_CLIENT_CPU (default 0); the
# server under test and the echo backend share CPU $BENCH_SERVER_CPU
# (default 1), like a sidecar and its app in one pod. Each server gets one
# core's worth of workers: GOMAXPROCS=1 for the proxy, the backend and the
# load generator; worker_processes 1 for nginx; nbthread 1 for HAProxy;
# GOMAXPROCS=1 for Caddy; workers = 1 for hitch; stunnel has no worker knob
# (one thread per connection), pinned to the same CPU.
# taskset pins every process; children (nginx's worker) inherit it.
#
# Knobs (environment): BENCH_REPS (3), BENCH_DURATION (5s), BENCH_WARMUP
# (1s), BENCH_IDLE_COUNTS ("2000 10000"), BENCH_PORT_BASE (18400),
# BENCH_CLIENT_CPU, BENCH_SERVER_CPU, BENCH_KEEP=1 keeps older results,
# BENCH_BIN (the wss-operator binary, default bin/wss-operator),
# BENCH_FIGURES (all by default: "limits handshake resume latency throughput
# idle fanout"; the word new-peers limits the targets to direct, proxy,
# caddy, hitch and stunnel), BENCH_TARGETS (default "direct proxy nginx
# haproxy caddy hitch stunnel"), BENCH_FANOUT_COUNTS ("1000 10000").
#
# Everything is bounded: each load generator run has -duration and a hard
# -timeout, and every server started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

REPS=${BENCH_REPS:-3}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-1s}
IDLE_COUNTS=${BENCH_IDLE_COUNTS:-2000 10000}
PORT_BASE=${BENCH_PORT_BASE:-18400}
CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
BIN=${BENCH_BIN:-$ROOT/bin/wss-operator}
FANOUT_COUNTS=${BENCH_FANOUT_COUNTS:-1000 10000}
ALL_FIGURES="limits handshake resume latency throughput idle fanout"
TARGETS=${BENCH_TARGETS:-direct proxy nginx haproxy caddy hitch stunnel}
FIGURES=""
for f in ${BENCH_FIGURES:-$ALL_FIGURES}; do
	case $f in
	new-peers) TARGETS="direct proxy caddy hitch stunnel" ;;
	all) FIGURES+=" $ALL_FIGURES" ;;
	limits | handshake | resume | latency | throughput | idle | fanout) FIGURES+=" $f" ;;
	*) printf 'BENCH_FIGURES: unknown %q (want %s, all or new-peers)\n' "$f" "$ALL_FIGURES" >&2 && exit 2 ;;
	esac
done
[[ -n $FIGURES ]] || FIGURES=$ALL_FIGURES
for t in $TARGETS; do
	case $t in
	direct | proxy | nginx | haproxy | caddy | hitch | stunnel) ;;
	*) printf 'BENCH_TARGETS: unknown target %q\n' "$t" >&2 && exit 2 ;;
	esac
done
GO=${GO:-go}

BACKEND_PORT=$PORT_BASE
PROXY_PORT=$((PORT_BASE + 43))
NGINX_PORT=$((PORT_BASE + 44))
HAPROXY_PORT=$((PORT_BASE + 45))
CADDY_PORT=$((PORT_BASE + 46))
HITCH_PORT=$((PORT_BASE + 47))
STUNNEL_PORT=$((PORT_BASE + 48))
ADMIN_PORT=$((PORT_BASE + 90))
# Fan-out: the backend pushes FANOUT_SIZE bytes to every connection every
# FANOUT_INTERVAL; FANOUT_SENDERS of the clients send as often.
FANOUT_SIZE=64
FANOUT_INTERVAL=100ms
FANOUT_SENDERS=0.01

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(uname -s) == Linux ]] || die "the benchmark needs Linux (/proc, taskset, epoll)"
[[ -x $BIN ]] || die "$BIN not found: run 'make build' first (make bench does)"

# --- tools -----------------------------------------------------------------
want() { [[ " $TARGETS " == *" $1 "* ]]; }
need_apt=()
want nginx && ! command -v nginx >/dev/null && need_apt+=(nginx)
want haproxy && ! command -v haproxy >/dev/null && need_apt+=(haproxy)
want caddy && ! command -v caddy >/dev/null && need_apt+=(caddy)
want hitch && ! command -v hitch >/dev/null && need_apt+=(hitch)
want stunnel && ! command -v stunnel4 >/dev/null && need_apt+=(stunnel4)
command -v taskset >/dev/null || need_apt+=(util-linux)
command -v openssl >/dev/null || need_apt+=(openssl)
if ((${#need_apt[@]})); then
	[[ $(id -u) == 0 ]] || die "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]}) or run as root"
	log "installing ${need_apt[*]} (Debian packages)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || true)
HAPROXY=$(command -v haproxy || true)
CADDY=$(command -v caddy || true)
HITCH=$(command -v hitch || true)
STUNNEL=$(command -v stunnel4 || true)

# Command prefixes, not functions: a background job of a simple command is
# the program itself (taskset and env exec it), so $! is the server's PID.
NCPU=$(nproc)
if ((NCPU < 2)); then
	log "only $NCPU CPU: running unpinned"
	PIN_CLIENT=(env)
	PIN_SERVER=(env)
	FLOOR_PIN=()
else
	PIN_CLIENT=(taskset -c "$CLIENT_CPU")
	PIN_SERVER=(taskset -c "$SERVER_CPU")
	FLOOR_PIN=(-server-cpu "$SERVER_CPU") # idlefloor pins its server itself
fi

# --- descriptors -------------------------------------------------------------
# A proxied connection costs the proxy two descriptors. Raise the soft limit
# to the hard one; if the hard limit cannot hold the largest idle count, that
# count shrinks to fit and the report says so.
HARD_NOFILE=$(ulimit -Hn)
if [[ $HARD_NOFILE == unlimited ]]; then HARD_NOFILE=1048576; fi
ulimit -n "$HARD_NOFILE"
MAX_IDLE=$(((HARD_NOFILE - 100) / 2 / 100 * 100))
fit() {
	local n
	for n in "$@"; do
		if ((n > MAX_IDLE)); then
			log "RLIMIT_NOFILE hard limit $HARD_NOFILE holds $MAX_IDLE proxied connections, not $n: measuring $MAX_IDLE"
			n=$MAX_IDLE
		fi
		echo "$n"
	done
}
# shellcheck disable=SC2086 # word splitting of the count lists is meant
mapfile -t idle_counts < <(fit $IDLE_COUNTS)
# shellcheck disable=SC2086
mapfile -t fanout_counts < <(fit $FANOUT_COUNTS)
MAXCONN=$((MAX_IDLE + 50))

# --- workspace -----------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wss-bench.XXXXXX")
declare -A PIDS=()

stop() {
	local name=$1 pid=${PIDS[$1]:-}
	[[ -n $pid ]] || return 0
	unset "PIDS[$name]"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	local name
	for name in "${!PIDS[@]}"; do stop "$name"; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$ROOT/bench/results/$STAMP
mkdir -p "$RES/runs" "$WORK/bin" "$WORK/certs" "$WORK/nginx/logs" "$WORK/nginx/tmp" "$WORK/caddy"

log "building the benchmark programs"
for p in datapath/loadgen datapath/echo datapath/handshakecost datapath/idlefloor report; do
	CGO_ENABLED=0 $GO build -trimpath -o "$WORK/bin/${p#datapath/}" "./bench/$p"
done
# crypto/tls's own server handshake benchmark, compiled now, run pinned below.
$GO test -c -o "$WORK/bin/tls.test" crypto/tls

# --- certificate: one ECDSA P-256 key and self-signed certificate for all ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
	-subj /CN=bench.local -addext subjectAltName=DNS:bench.local \
	-keyout "$WORK/certs/tls.key" -out "$WORK/certs/tls.crt" 2>/dev/null
cat "$WORK/certs/tls.crt" "$WORK/certs/tls.key" >"$WORK/haproxy.pem"
CERT=$WORK/certs/tls.crt

# --- configurations ------------------------------------------------------------
# All three terminate TLS 1.3 only, with X25519 and TLS_AES_128_GCM_SHA256
# (what Go negotiates on AES-NI hardware), ALPN http/1.1, and forward the
# upgrade to the echo backend. Buffers and timeouts stay at their defaults
# except the WebSocket read timeouts, raised so idle connections stay open.
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $HARD_NOFILE;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events {
    # Two per proxied connection, plus a sixteenth: below 1/16 free, nginx
    # starts closing connections still in their TLS handshake.
    worker_connections $((MAXCONN * 2 * 17 / 16 + 100));
    use epoll;
}
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl backlog=4096;
        ssl_certificate     $WORK/certs/tls.crt;
        ssl_certificate_key $WORK/certs/tls.key;
        ssl_protocols TLSv1.3;
        ssl_ecdh_curve X25519;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        location / {
            proxy_pass http://127.0.0.1:$BACKEND_PORT;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
EOF
cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn $MAXCONN
    ssl-default-bind-options ssl-min-ver TLSv1.3
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-request 10s
frontend wss
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $WORK/haproxy.pem alpn http/1.1 curves X25519
    maxconn $MAXCONN
    default_backend echo
backend echo
    server echo 127.0.0.1:$BACKEND_PORT
EOF
if want haproxy; then "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" || die "haproxy rejects $WORK/haproxy.cfg"; fi

# Caddy: the same restriction through its tls directive (Go's crypto/tls
# picks TLS_AES_128_GCM_SHA256 on AES-NI hardware; TLS 1.3 suites are not
# configurable in Go), HTTP/1.1 only, reverse_proxy's native WebSocket
# support. No ACME (the certificate is given, auto_https off), no admin
# endpoint, nothing bound off loopback, storage under the run's workspace.
cat >"$WORK/caddy/Caddyfile" <<EOF
{
	admin off
	auto_https off
	storage file_system $WORK/caddy/data
	servers {
		protocols h1
	}
	log {
		level ERROR
	}
}
https://:$CADDY_PORT {
	bind 127.0.0.1
	tls $WORK/certs/tls.crt $WORK/certs/tls.key {
		protocols tls1.3
		curves x25519
		alpn http/1.1
	}
	reverse_proxy 127.0.0.1:$BACKEND_PORT
}
EOF
# Caddy reads $HOME and the XDG directories; keep them inside the workspace.
CADDY_ENV=(HOME="$WORK/caddy" XDG_DATA_HOME="$WORK/caddy/data" XDG_CONFIG_HOME="$WORK/caddy/config" GOMAXPROCS=1)
if want caddy; then
	env "${CADDY_ENV[@]}" "$CADDY" validate --config "$WORK/caddy/Caddyfile" --adapter caddyfile >"$WORK/caddy/validate.log" 2>&1 ||
		die "caddy rejects $WORK/caddy/Caddyfile: $(tail -n 1 "$WORK/caddy/validate.log")"
fi

# hitch and stunnel are L4: TLS in front of a TCP backend; the WebSocket
# upgrade passes through them untouched. hitch refuses to run its workers
# as root, so as root they run as nobody (the key is read before).
cat >"$WORK/hitch.conf" <<EOF
frontend = "[127.0.0.1]:$HITCH_PORT"
backend = "[127.0.0.1]:$BACKEND_PORT"
pem-file = "$WORK/haproxy.pem"
workers = 1
backlog = 4096
daemon = off
tls-protos = TLSv1.3
ciphersuites = "TLS_AES_128_GCM_SHA256"
ecdh-curve = "X25519"
alpn-protos = "http/1.1"
syslog = off
log-level = 1
EOF
if [[ $(id -u) == 0 ]]; then printf 'user = "nobody"\ngroup = "nogroup"\n' >>"$WORK/hitch.conf"; fi
if want hitch; then
	"$HITCH" --test --config="$WORK/hitch.conf" >"$WORK/hitch-test.log" 2>&1 ||
		die "hitch rejects $WORK/hitch.conf: $(tail -n 1 "$WORK/hitch-test.log")"
fi
# stunnel negotiates no ALPN (it has no server-side option for it).
cat >"$WORK/stunnel.conf" <<EOF
foreground = yes
pid =
output = $WORK/stunnel.log
debug = warning
[wss]
accept = 127.0.0.1:$STUNNEL_PORT
connect = 127.0.0.1:$BACKEND_PORT
cert = $WORK/certs/tls.crt
key = $WORK/certs/tls.key
sslVersionMin = TLSv1.3
sslVersionMax = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
curves = X25519
TIMEOUTidle = 3600
EOF

# --- servers -------------------------------------------------------------------
port_of() {
	case $1 in
	direct | backend) echo "$BACKEND_PORT" ;;
	proxy) echo "$PROXY_PORT" ;;
	nginx) echo "$NGINX_PORT" ;;
	haproxy) echo "$HAPROXY_PORT" ;;
	caddy) echo "$CADDY_PORT" ;;
	hitch) echo "$HITCH_PORT" ;;
	stunnel) echo "$STUNNEL_PORT" ;;
	esac
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for t in backend proxy nginx haproxy caddy hitch stunnel; do
	port_open "$(port_of $t)" && die "port $(port_of $t) is in use: set BENCH_PORT_BASE"
done
port_open "$ADMIN_PORT" && die "port $ADMIN_PORT is in use: set BENCH_PORT_BASE"

start() {
	local name=$1
	port_open "$(port_of "$name")" && die "port $(port_of "$name") is still in use before starting $name"
	case $name in
	backend)
		"${PIN_SERVER[@]}" env GOMAXPROCS=1 "$WORK/bin/echo" -listen "127.0.0.1:$BACKEND_PORT" \
			-broadcast-size "$FANOUT_SIZE" -broadcast-interval "$FANOUT_INTERVAL" >"$WORK/backend.log" 2>&1 &
		;;
	proxy)
		"${PIN_SERVER[@]}" env GOMAXPROCS=1 "$BIN" proxy --listen "127.0.0.1:$PROXY_PORT" \
			--backend "127.0.0.1:$BACKEND_PORT" --cert-dir "$WORK/certs" \
			--admin-listen "127.0.0.1:$ADMIN_PORT" --min-tls 1.3 --curves X25519 \
			--max-connections "$MAXCONN" --drain-timeout 1s >"$WORK/proxy.log" 2>&1 &
		;;
	nginx)
		"${PIN_SERVER[@]}" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/out.log" 2>&1 &
		;;
	haproxy)
		"${PIN_SERVER[@]}" "$HAPROXY" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
		;;
	caddy)
		"${PIN_SERVER[@]}" env "${CADDY_ENV[@]}" "$CADDY" run --config "$WORK/caddy/Caddyfile" --adapter caddyfile >"$WORK/caddy.log" 2>&1 &
		;;
	hitch)
		"${PIN_SERVER[@]}" "$HITCH" --config="$WORK/hitch.conf" >"$WORK/hitch.log" 2>&1 &
		;;
	stunnel)
		"${PIN_SERVER[@]}" "$STUNNEL" "$WORK/stunnel.conf" >"$WORK/stunnel.out" 2>&1 &
		;;
	esac
	PIDS[$name]=$!
	local port
	port=$(port_of "$name")
	for _ in $(seq 100); do
		port_open "$port" && return 0
		kill -0 "${PIDS[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	die "$name did not start listening on $port; its log: $(tail -n 5 "$WORK"/$name.log "$WORK"/nginx/*.log 2>/dev/null)"
}

url_of() {
	if [[ $1 == direct ]]; then echo "ws://127.0.0.1:$BACKEND_PORT"; else echo "wss://127.0.0.1:$(port_of "$1")"; fi
}
# server_pids/aux_pids: whose CPU and RSS count as the server under test,
# and the backend measured beside it.
server_pids() { if [[ $1 == direct ]]; then echo "${PIDS[backend]}"; else echo "${PIDS[$1]}"; fi; }
aux_pids() { if [[ $1 == direct ]]; then echo ""; else echo "${PIDS[backend]}"; fi; }

# loadgen FIGURE TARGET REP ARGS...: one bounded run, its JSON into runs/.
loadgen() {
	local fig=$1 target=$2 rep=$3
	shift 3
	mkdir -p "$RES/runs/$fig"
	local out=$RES/runs/$fig/$target.$rep
	if "${PIN_CLIENT[@]}" env GOMAXPROCS=1 "$WORK/bin/loadgen" -url "$(url_of "$target")" -label "$target" -cert "$CERT" \
		-server-pids "$(server_pids "$target")" -aux-pids "$(aux_pids "$target")" -out "$out.json" "$@" 2>"$out.err"; then
		rm -f "$out.err"
	else
		log "  $fig $target #$rep failed: $(tail -1 "$out.err")"
		rm -f "$out.json"
	fi
}

cat >"$RES/params.json" <<EOF
{"reps": $REPS, "duration": "$DURATION", "warmup": "$WARMUP", "clientCPU": $CLIENT_CPU, "serverCPU": $SERVER_CPU,
 "nofileHard": $HARD_NOFILE, "idleCounts": [$(
	IFS=,
	echo "${idle_counts[*]}"
)], "requestedIdleCounts": [$(echo "$IDLE_COUNTS" | tr -s ' ' ',')],
 "fanoutCounts": [$(
	IFS=,
	echo "${fanout_counts[*]}"
)], "requestedFanoutCounts": [$(echo "$FANOUT_COUNTS" | tr -s ' ' ',')],
 "fanoutSize": $FANOUT_SIZE, "fanoutIntervalMs": ${FANOUT_INTERVAL%ms}, "fanoutSenders": $FANOUT_SENDERS,
 "targets": [$(printf '"%s",' $TARGETS | sed 's/,$//')], "figures": [$(printf '"%s",' $FIGURES | sed 's/,$//')],
 "handshakeConcurrency": 16, "latencyConnections": 1, "throughputMessage": 16384,
 "command": "make bench", "started": "$STAMP"}
EOF
"$WORK/bin/report" -machine -proxy-bin "$BIN" >"$RES/machine.json"
for f in nginx/nginx.conf haproxy.cfg caddy/Caddyfile hitch.conf stunnel.conf; do
	sed "s#$WORK#\$WORK#g" "$WORK/$f" >"$RES/$(basename "$f")"
done

has() { [[ " $FIGURES " == *" $1 "* ]]; }

# --- the limit: Go's own server handshake cost, on the server CPU ---------------
# limit_turn REP: the limit and its cross-check (crypto/tls's own benchmark)
# into $RES/limits/, once per repetition of the handshake figure, taking
# their turn after the targets': this machine's speed moves within a run,
# so a limit measured once would compare one moment with the targets'
# median.
limit_turn() {
	has limits || return 0
	log "  limit: crypto/tls server handshake cost (GOMAXPROCS=1 on CPU $SERVER_CPU), repetition $1"
	mkdir -p "$RES/limits"
	"${PIN_SERVER[@]}" env GOMAXPROCS=1 "$WORK/bin/handshakecost" -cert "$CERT" -key "$WORK/certs/tls.key" -benchtime 2s >"$RES/limits/handshakecost.$1.json"
	"${PIN_SERVER[@]}" env GOMAXPROCS=1 "$WORK/bin/tls.test" -test.run '^$' -test.count 1 -test.benchtime 2s \
		-test.bench 'BenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13$' >"$RES/limits/gotls-bench.$1.txt"
}
if has limits; then
	log "limit: openssl speed (GOMAXPROCS=1 on CPU $SERVER_CPU)"
	"${PIN_SERVER[@]}" openssl speed -seconds 2 ecdsap256 ecdhx25519 >"$RES/openssl-speed.txt" 2>/dev/null
	has handshake || limit_turn 1
fi

start backend
for t in $TARGETS; do [[ $t == direct ]] || start "$t"; done
log "servers up: $(for n in "${!PIDS[@]}"; do printf '%s %s, ' "$n" "${PIDS[$n]}"; done)"
cat /proc/loadavg >"$RES/loadavg-start.txt"

# Targets take turns within each repetition, so a disturbance on the shared
# machine spreads over all of them instead of hitting one.
figure() {
	local fig=$1
	shift
	log "$fig"
	for rep in $(seq "$REPS"); do
		for t in $TARGETS; do loadgen "$fig" "$t" "$rep" -warmup "$WARMUP" -duration "$DURATION" "$@"; done
		[[ $fig != handshake ]] || limit_turn "$rep"
	done
}
has handshake && figure handshake -mode handshake -concurrency 16
has resume && figure resume -mode resume -concurrency 16

# profile_proxy NAME LOADGEN-ARGS...: where the proxy's CPU goes, by perf
# attached to the proxy (the same code built with its symbols; `make build`
# strips them) for 4 s of an extra load generator run, after LEAD seconds
# (default 1.5) of it. Writes $RES/profile-proxy-NAME.txt: `perf report`
# by symbol with children, then by DSO (bench/report/profile.go reads both).
# Skipped without perf or with BENCH_PROFILE=0.
profile_proxy() {
	local name=$1 lead=${LEAD:-1.5} lg
	shift
	log "profile: perf on wss-operator proxy during $name"
	[[ -x $WORK/bin/wss-operator-sym ]] || CGO_ENABLED=0 $GO build -trimpath -o "$WORK/bin/wss-operator-sym" .
	stop proxy
	local saved_bin=$BIN
	BIN=$WORK/bin/wss-operator-sym
	start proxy
	loadgen "profile-$name" proxy 1 "$@" &
	lg=$!
	sleep "$lead"
	if perf record -F 999 -g -p "${PIDS[proxy]}" -o "$WORK/perf.data" -- sleep 4 >"$WORK/perf.log" 2>&1; then
		{
			perf report -i "$WORK/perf.data" --children --sort sym -g none --stdio 2>/dev/null | grep '%' | head -300
			perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep '%'
		} >"$RES/profile-proxy-$name.txt" || true
	else
		log "  perf record failed: $(tail -1 "$WORK/perf.log")"
	fi
	wait "$lg" || true
	stop proxy
	BIN=$saved_bin
	start proxy
}
profiling() { want proxy && [[ ${BENCH_PROFILE:-1} == 1 ]] && command -v perf >/dev/null; }

# Where the proxy's handshake CPU goes: full handshakes.
if has handshake && profiling; then
	profile_proxy handshake -mode handshake -concurrency 16 -warmup 1s -duration 6s
fi
if has latency; then
	figure latency-64 -mode latency -size 64
	figure latency-16384 -mode latency -size 16384
fi
if has throughput; then
	figure throughput-1 -mode throughput -size 16384 -concurrency 1
	figure throughput-64 -mode throughput -size 16384 -concurrency 64
fi

# Idle memory: each target and the backend are restarted, so RSS starts from
# a fresh process rather than from whatever the earlier figures left behind.
# Like the rates, each point is REPS runs with the targets (and the Go floor)
# taking turns: RSS growth moves by up to a KiB per connection between runs
# (when the heap collects, what the scavenger returned).
if has idle; then
	for n in "${idle_counts[@]}"; do
		log "idle-$n"
		for rep in $(seq "$REPS"); do
			for t in $TARGETS; do
				[[ $t == direct ]] || stop "$t"
				stop backend
				start backend
				[[ $t == direct ]] || start "$t"
				sleep 1
				loadgen "idle-$n" "$t" "$rep" -mode idle -count "$n" -concurrency 32 -duration 90s -settle 5s \
					-sources 127.0.0.2-127.0.0.9
			done
			# The Go floor: a server that keeps only crypto/tls's and net's
			# state per connection (bench/datapath/idlefloor), measured alike.
			out=$RES/runs/idle-$n/gofloor.$rep
			if ! "${PIN_CLIENT[@]}" env GOMAXPROCS=1 "$WORK/bin/idlefloor" -cert "$CERT" -key "$WORK/certs/tls.key" -count "$n" \
				-concurrency 32 -duration 90s -settle 5s "${FLOOR_PIN[@]}" -out "$out.json" 2>"$out.err"; then
				log "  idle-$n Go floor failed: $(tail -1 "$out.err")"
				rm -f "$out.json"
			fi
			[[ -s $out.err ]] || rm -f "$out.err"
		done
	done
fi
# Fan-out: N connections to the backend's /broadcast; every 100 ms the
# backend pushes a 64-byte timestamped message to each, and 1% of the
# clients send one as often (echoed back). The targets take turns within
# each repetition; a pause between runs lets the previous run's
# connections leave the backend's hub.
if has fanout; then
	for n in "${fanout_counts[@]}"; do
		log "fanout-$n"
		for rep in $(seq "$REPS"); do
			for t in $TARGETS; do
				loadgen "fanout-$n" "$t" "$rep" -mode fanout -count "$n" -concurrency 32 -size "$FANOUT_SIZE" \
					-senders "$FANOUT_SENDERS" -send-interval "$FANOUT_INTERVAL" -broadcast-interval "$FANOUT_INTERVAL" \
					-sources 127.0.0.2-127.0.0.9 -open 90s -warmup "$WARMUP" -duration "$DURATION"
				sleep 2
			done
		done
	done
	# Where the proxy's CPU per message goes, at 1,000 connections (the
	# goal's count) or else the largest: perf starts once the connections
	# are open and the window has begun.
	if profiling; then
		n=${fanout_counts[-1]}
		for c in "${fanout_counts[@]}"; do [[ $c != 1000 ]] || n=1000; done
		LEAD=$((n / 200 + 4)) profile_proxy "fanout-$n" -mode fanout -count "$n" -concurrency 32 -size "$FANOUT_SIZE" \
			-senders "$FANOUT_SENDERS" -send-interval "$FANOUT_INTERVAL" -broadcast-interval "$FANOUT_INTERVAL" \
			-sources 127.0.0.2-127.0.0.9 -open 90s -warmup 2s -duration 15s
	fi
fi
cat /proc/loadavg >"$RES/loadavg-end.txt"
for name in "${!PIDS[@]}"; do stop "$name"; done
grep -h . "$WORK/proxy.log" | tail -3 >"$RES/proxy-log-tail.txt" || true

if [[ ${BENCH_KEEP:-} != 1 ]]; then
	for d in "$ROOT"/bench/results/*/; do
		[[ $(basename "$d") == "$STAMP" ]] || rm -rf "$d"
	done
fi
log "rendering BENCHMARKS.md from $RES"
"$WORK/bin/report" -results "$ROOT/bench/results" -run "$RES" -out "$ROOT/BENCHMARKS.md"
log "done: BENCHMARKS.md, raw data in ${RES#"$ROOT"/}"
