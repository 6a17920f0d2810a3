#!/usr/bin/env bash
# The webhook's user-space instructions per request, counted by callgrind: the same figure on every run of the same
# binary, whatever else the machine is doing, where requests/s and CPU time move with the neighbours (a shared 2-CPU
# machine gave nginx anywhere from 25,000 to 46,000 requests/s). It is what to compare two builds by; the kernel's
# part (about a quarter of the webhook's CPU) and the scheduler's are not in it, so it never replaces
# hack/bench-webhook.sh for the targets.
#
# nginx (1 worker, the same certificate and static 200 as in hack/bench-webhook.sh), then the operator
# (`ecr-bench webhook-serve`), each under valgrind; wrk sends the recorded AdmissionReview over 8 keep-alive TLS
# connections, one thread, with counting on only for the measured run. The 8 connections' handshakes
# (`SSL_do_handshake`) are left out, so the figures are a keep-alive request's. Runs of one build agree within about
# 1% (how often an event loop finds nothing to read and waits moves a little from run to run).
#
# Usage: hack/bench-webhook-instructions.sh [duration, default 10s]. Env: BUILD (1; 0 uses the binaries already
# built), OPERATOR_BINARY (another build to count; by default the operator as the Dockerfile builds it),
# HEALTHZ (1: GET /healthz, the server and TLS without a review), KEEP (a path prefix: the callgrind files are
# copied to KEEP.nginx and KEEP.webhook, for `callgrind_annotate --inclusive=yes KEEP.webhook`).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/loopback.sh
source hack/lib/shipped-build.sh
source hack/lib/admission-review.sh
source hack/lib/nginx.sh
source hack/lib/webhook-serve.sh

duration=${1:-10s}
for tool in valgrind callgrind_control callgrind_annotate objcopy wrk nginx python3; do
    command -v "$tool" >/dev/null || { echo "bench-webhook-instructions: $tool missing" >&2; exit 1; }
done
prepare_webhook_binaries bench-webhook-instructions release || exit 1

work=$(mktemp -d /tmp/bench-webhook-instructions.XXXXXX)
webhook_serve_pid=
nginx_pid=
cleanup() {
    [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
    stop_webhook_serve 30
    rm -rf "$work"
}
trap cleanup EXIT

issue_certificate "$work" "$work/certs/tls.key" "$work/certs/tls.crt" "DNS:localhost,IP:127.0.0.1"
write_review_body test/kube-api-corpus/cases/admission-aeps-create.json "$work/review.json"
wrk_request_lua "$work/review.json" >"$work/request.lua"
url=/validate-awsecrimagepullsecret
if [ "${HEALTHZ:-0}" = 1 ]; then url=/healthz; fi

# count NAME PID URL REQUEST_FUNCTION: instructions per request of the process PID (running under callgrind with
# --instr-atstart=no and --callgrind-out-file=$work/NAME.out) while wrk loads URL; requests are the calls of
# REQUEST_FUNCTION (its whole symbol, called once a request) that the process counted.
count() {
    local name=$1 pid=$2 url=$3 function=$4
    # Under valgrind a request takes milliseconds: a long timeout, so that wrk never reconnects.
    wrk -t1 -c8 --timeout 60s -d3s -s "$work/request.lua" "$url" >/dev/null  # warm-up, not counted
    callgrind_control --instr=on "$pid" >/dev/null 2>&1
    wrk -t1 -c8 --timeout 60s -d"$duration" -s "$work/request.lua" "$url" >/dev/null
    callgrind_control --instr=off "$pid" >/dev/null 2>&1
    callgrind_control --dump "$pid" >/dev/null 2>&1
    # The dump of the measured run is the largest file (the one written at exit holds what ran after it).
    local profile
    profile=$(ls -S "$work/$name".out* | head -1)
    [ -z "${KEEP:-}" ] || cp "$profile" "$KEEP.$name"
    python3 - "$name" "$function" "$profile" <(callgrind_annotate --inclusive=yes --threshold=100 "$profile") <<'PY'
import re, sys
name, function, profile, annotated = sys.argv[1:]
names, requests, current = {}, 0, None
for line in open(profile):
    m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(2): names[m.group(1)] = m.group(2)
        if line.startswith("cfn="): current = m.group(1)
        continue
    if line.startswith("calls=") and current is not None:
        if names.get(current) == function: requests += int(line.split()[0][6:])
        current = None
totals, inclusive = 0, {}
for line in open(annotated):
    m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)", line)
    if not m: continue
    value, symbol = int(m.group(1).replace(",", "")), m.group(2)
    if "PROGRAM TOTALS" in symbol: totals = value
    for key, pattern in (("handshakes", ":SSL_do_handshake "), ("review", "09AdmissionA0V6review_4kind"),
                         ("parse", "17AdmissionFastPathO5parse_3for")):
        if pattern in symbol and key not in inclusive: inclusive[key] = value
if requests < 100 or not totals:
    # A few requests are dominated by what each loop pass costs: no figure rather than a wrong one.
    sys.exit(f"bench-webhook-instructions: only {requests} {name} requests counted; give a longer duration")
per_request = (totals - inclusive.get("handshakes", 0)) / requests
print(f"{name} requests counted: {requests}")
print(f"{name} instructions per request: {per_request:.0f} (user space, without the TLS handshakes)")
if "review" in inclusive:
    review = inclusive["review"] / requests
    print(f"{name} of which the review: {review:.0f} (the parse's fast path {inclusive.get('parse', 0) / requests:.0f})")
    print(f"{name} of which the server, TLS and the rest: {per_request - review:.0f}")
PY
}

# nginx in the foreground (no master process), so valgrind follows its one worker.
nginx_port=$(free_port)
write_nginx_conf "$work/nginx" "$nginx_port" "$work/certs" 1 off
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/nginx.out" \
    nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" >"$work/nginx.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 300); do
    curl -sf --cacert "$work/ca.crt" "https://localhost:$nginx_port/" >/dev/null 2>&1 && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx.log"; exit 1; }
    sleep 0.1
done
count nginx "$nginx_pid" "https://localhost:$nginx_port$url" ngx_http_process_request
kill "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=

# The operator. valgrind 3.19 cannot read the DWARF 5 debug information Swift 6 writes: count a copy without it (the
# symbol table stays, so functions keep their names).
objcopy --strip-debug "$operator_binary" "$work/operator"
cat >"$work/operator-under-callgrind" <<SH
#!/bin/sh
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$work/webhook.out "$work/operator" "\$@"
SH
chmod +x "$work/operator-under-callgrind"
port=$(free_port)
start_webhook_serve .build/release/ecr-bench "$work" "$port" "$work/operator-under-callgrind" 90 || exit 1
count webhook "$webhook_operator_pid" "https://localhost:$port$url" \
    '$s7Webhook09AdmissionA0V6handley10HTTPServer0D8ResponseVAE0D7RequestVF'
