#!/usr/bin/env bash
# How many connections libcurl opens for the HTTP client's settings (docs/benchmarks.md, "HTTP connections"):
# hack/curl-connections.c drives bursts of PUTs the way CurlLoop does, against nginx (1 worker, TLS, HTTP/2
# on one port and HTTP/1.1 on another, keep-alive unlimited), with and without CURLOPT_PIPEWAIT and
# CURLMOPT_MAXCONNECTS. Usage: hack/bench-curl-connections.sh [requests per burst, default 1000] [bursts, 5].
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-1000}
rounds=${2:-5}
for tool in nginx openssl gcc; do
    command -v "$tool" >/dev/null || { echo "bench-curl-connections: $tool missing" >&2; exit 1; }
done
work=$(mktemp -d /tmp/bench-curl.XXXXXX)
trap '[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")"; rm -rf "$work"' EXIT
gcc -O2 -o "$work/conns" hack/curl-connections.c -lcurl
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=localhost \
    2>/dev/null
port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
h2=$(port)
h1=$(port)
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$h2 ssl http2;
        ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
        location / { return 200 "{}"; }
    }
    server {
        listen 127.0.0.1:$h1 ssl;
        ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
        location / { return 200 "{}"; }
    }
}
CONF
nginx -c "$work/nginx.conf" -e "$work/error.log"
sleep 0.5
for limit in 16 8; do
    for setting in "0 0" "1 0" "1 $((limit + 8))"; do
        set -- $setting
        echo "HTTP/2   per-host limit $limit, PIPEWAIT $1, MAXCONNECTS ${2/#0/default}: $("$work/conns" "https://127.0.0.1:$h2/" "$total" 16 "$limit" "$1" "$2" "$rounds")"
    done
    for setting in "1 0" "1 $((limit + 8))"; do
        set -- $setting
        echo "HTTP/1.1 per-host limit $limit, PIPEWAIT $1, MAXCONNECTS ${2/#0/default}: $("$work/conns" "https://127.0.0.1:$h1/" "$total" 16 "$limit" "$1" "$2" "$rounds")"
    done
done
