#!/usr/bin/env bash
# The webhook as the API server uses it, beside nginx in the same run: wrk POSTs a recorded AdmissionReview
# (kube-api-corpus admission-aeps-create.json, "received") over TLS keep-alive connections to the operator's
# webhook (the real binary, `ecr-bench webhook-serve`, 100 resources in its claim cache, under the chart's CPU limit:
# CPU_LIMIT below) and to nginx (1 worker, OpenSSL, the same certificate, a static 200), then prints requests/s and
# p99 of both and the ratio.
# Targets: webhook >= 0.5x nginx's requests/s, webhook p99 <= 1 ms.
#
# Usage: hack/bench-webhook.sh [duration, default 10s]. Env: CONNECTIONS (8), THREADS (wrk's threads, 1: one beside
# each server's one thread, the operator's one event loop under the chart's CPU limit and nginx's one worker, so that
# on two CPUs no thread waits for one; 2 was the default while the webhook ran one loop per core), CONFIG (release; of
# ecr-bench, the client side: the operator is always the release build),
# BUILD (1; 0 uses the binaries already built), OPERATOR_BINARY (another operator build to measure, e.g. one of an
# older commit; by default the operator as the Dockerfile builds it, linked statically: hack/lib/shipped-build.sh),
# PROFILE (a path: `perf record -g` of the operator process during the webhook's measured run is written there;
# `perf report -i PATH` reads it), PROFILE_HANDSHAKES
# (the same for the run with a new connection per request), PASSES (which of "nginx webhook nginx-hs webhook-hs"
# to run, default all; e.g. PASSES=webhook to compare builds quickly), PIN (1: each server, all its threads, on
# CPU 0 and wrk on CPU 1, so wrk's own CPU cannot preempt the server; needs 2 CPUs; default 0, shared as usual),
# HEALTHZ (1: GET /healthz instead of POSTing the review, so the webhook's figures are its HTTP server's and TLS's
# alone, with no AdmissionReview decoded: what is left of the gap to nginx is the server's, not the review's),
# NGINX_WORKERS (nginx's worker processes, default 1 as the target names it; 2 gives nginx as many threads as the
# webhook's two event loops on this 2-CPU machine, to tell what time-sharing the CPUs with wrk does to any server's
# p99; its CPU figures are then the workers' sum),
# DELAY_MS (each connection waits this many milliseconds after an answer before its next request: a fixed load of
# at most CONNECTIONS × 1000 / DELAY_MS requests/s, well below saturation, where p99 is the server's latency and
# not the queue of a saturated one; wrk's latency is timed from each request's sending, so the wait is not in it).
# CPU_LIMIT (1: the operator runs under a CPU quota of this many CPUs, as the chart's `resources.limits.cpu: 1` runs
# it, and NIO gives its webhook as many event loops as the quota allows, as in the pod: one; 0: no limit, one loop
# per core of this machine; needs root: hack/lib/webhook-serve.sh, cpu_limited_wrapper).
# "CPU us/request" is the server process's user+system CPU time over the run divided by its requests: on a
# shared machine it moves less than requests/s and p99, which follow the scheduler; "of it sys" is its kernel part.
# "steal %" is the share of the machine's CPU time the hypervisor gave to others during the run (/proc/stat): a run
# with more than a percent or two of it measured the host's load as much as the server.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/loopback.sh
source hack/lib/shipped-build.sh
source hack/lib/admission-review.sh
source hack/lib/nginx.sh
source hack/lib/webhook-serve.sh

duration=${1:-10s}
connections=${CONNECTIONS:-8}
threads=${THREADS:-1}
config=${CONFIG:-release}
pin=${PIN:-0}
cpu_limit=${CPU_LIMIT:-1}
nginx_workers=${NGINX_WORKERS:-1}
corpus=${CORPUS:-test/kube-api-corpus/cases/admission-aeps-create.json}
for tool in wrk nginx openssl python3 $([ "$pin" = 1 ] && echo taskset); do
    command -v "$tool" >/dev/null || { echo "bench-webhook: $tool missing (hack/install-deps.sh installs it)" >&2; exit 1; }
done

prepare_webhook_binaries bench-webhook "$config" || exit 1

work=$(mktemp -d /tmp/bench-webhook.XXXXXX)
pids=()
webhook_serve_pid=
cpu_limit_group=
cleanup() {
    stop_webhook_serve 10
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$cpu_limit_group" ]; then
        for _ in $(seq 50); do rmdir "$cpu_limit_group" 2>/dev/null && break; sleep 0.1; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# One certificate for both servers: a CA and a localhost leaf (P-256).
issue_certificate "$work" "$work/certs/tls.key" "$work/certs/tls.crt" "DNS:localhost,IP:127.0.0.1"

webhook_port=$(free_port)
nginx_port=$(free_port)

# The review body, with the corpus's placeholders filled in.
write_review_body "$corpus" "$work/review.json"
request_lua=$(wrk_request_lua "$work/review.json")
if [ -n "${DELAY_MS:-}" ]; then
    request_lua="$request_lua
delay = function() return ${DELAY_MS} end"
fi
cat >"$work/review.lua" <<LUA
$request_lua
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
        e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
# New handshakes: the same request with "Connection: close", so every request is a new TCP and TLS connection.
sed 's/^\(wrk.method = .*\)$/\1\nwrk.headers["Connection"] = "close"/' "$work/review.lua" >"$work/close.lua"

# nginx: NGINX_WORKERS workers (1), OpenSSL, the same certificate and TLS versions, a static 200.
write_nginx_conf "$work/nginx" "$nginx_port" "$work/certs" "$nginx_workers"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

if [ "$cpu_limit" != 0 ]; then
    cpu_limited_wrapper "$work" "$cpu_limit" "$operator_binary" \
        || { echo "bench-webhook: cannot make a CPU cgroup (needs root); CPU_LIMIT=0 runs without" >&2; exit 1; }
    operator_binary=$work/cpu-limited
fi
start_webhook_serve ".build/$config/ecr-bench" "$work" "$webhook_port" "$operator_binary" 60 || exit 1
curl -sf --cacert "$work/ca.crt" "https://localhost:$nginx_port/" >/dev/null || { cat "$work/nginx/error.log"; exit 1; }
answer=$(curl -sS --cacert "$work/ca.crt" -H "Content-Type: application/json" --data-binary @"$work/review.json" \
    "https://localhost:$webhook_port/validate-awsecrimagepullsecret")
echo "$answer" | grep -q '"allowed":true' || { echo "the webhook did not allow the review: $answer"; exit 1; }

machine_ticks() {  # "steal total" of all CPUs from /proc/stat, in clock ticks
    awk '/^cpu / { total = 0; for (i = 2; i <= 9; i++) total += $i; print $9, total }' /proc/stat
}
cpu_ticks() {  # "utime stime" of processes (a comma-separated list), summed, in clock ticks
    local pid utime=0 stime=0 fields
    for pid in ${1//,/ }; do
        fields=($(awk '{ print $14, $15 }' "/proc/$pid/stat"))
        utime=$(( utime + fields[0] )); stime=$(( stime + fields[1] ))
    done
    echo "$utime $stime"
}
client=()
if [ "$pin" = 1 ]; then client=(taskset -c 1); fi
run() {  # name url pid [profile]: prints "name rps p50 p99 requests errors cpu-us-per-request"
    local script=${SCRIPT:-$work/review.lua}
    "${client[@]}" wrk -t"$threads" -c"$connections" -d2s -s "$script" "$2" >/dev/null  # warm-up
    local perf_pid=
    if [ -n "${4:-}" ]; then
        perf record -F 999 -g -p "$3" -o "$4" >"$work/perf.log" 2>&1 &
        perf_pid=$!
        sleep 0.5
    fi
    local before after result machine_before machine_after
    machine_before=($(machine_ticks))
    before=($(cpu_ticks "$3"))
    result=$("${client[@]}" wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$script" "$2" \
        | grep "^RESULT")
    after=($(cpu_ticks "$3"))
    machine_after=($(machine_ticks))
    echo "$result $(( after[0] - before[0] )) $(( after[1] - before[1] ))" \
        "$(( machine_after[0] - machine_before[0] )) $(( machine_after[1] - machine_before[1] ))" | sed "s/^RESULT/$1/"
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
}
echo "== wrk: $connections keep-alive TLS connections, $threads threads, $duration each," \
    "$(wc -c <"$work/review.json") byte AdmissionReview; $(nproc) cores: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2)"
loops=$(cat /proc/"$webhook_operator_pid"/task/*/comm | grep -c '^NIO-SGLTN' || true)
echo "== operator: CPU limit $([ "$cpu_limit" = 0 ] && echo none || echo "$cpu_limit"), $loops event loops;" \
    "nginx: $nginx_workers worker(s)"
nginx_worker=$(ps -o pid= --ppid "${pids[0]}" | tr -d ' ' | paste -sd,)
if [ "$pin" = 1 ]; then
    taskset -a -p -c 0 "$webhook_operator_pid" >/dev/null
    for pid in ${nginx_worker//,/ }; do taskset -a -p -c 0 "$pid" >/dev/null; done
    echo "== pinned: nginx worker $nginx_worker and operator $webhook_operator_pid (all threads) on CPU 0, wrk on CPU 1"
fi
passes=" ${PASSES:-nginx webhook nginx-hs webhook-hs} "
want() { [[ "$passes" == *" $1 "* ]]; }
rows=()
url=/validate-awsecrimagepullsecret
if [ "${HEALTHZ:-0}" = 1 ]; then url=/healthz; fi
if want nginx; then rows+=("$(run nginx "https://localhost:$nginx_port$url" "$nginx_worker")"); fi
rss_mib() { awk '/^VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$webhook_operator_pid/status"; }
rss=("operator RSS before the webhook's passes: $(rss_mib)")
if want webhook; then
    rows+=("$(run webhook "https://localhost:$webhook_port$url" "$webhook_operator_pid" "${PROFILE:-}")")
    rss+=("operator RSS after the keep-alive pass: $(rss_mib)")
fi
if want nginx-hs || want webhook-hs; then
    echo "== the same with Connection: close (a new TCP and TLS handshake per request)"
fi
if want nginx-hs; then
    rows+=("$(SCRIPT=$work/close.lua run nginx-hs "https://localhost:$nginx_port$url" "$nginx_worker")")
fi
if want webhook-hs; then
    rows+=("$(SCRIPT=$work/close.lua run webhook-hs "https://localhost:$webhook_port$url" "$webhook_operator_pid" \
        "${PROFILE_HANDSHAKES:-}")")
    # Each pass is about a thousand new connections a second: what the process keeps of them (TLS sessions) shows here.
    rss+=("operator RSS after the new-handshake pass: $(rss_mib)")
fi
python3 - "$(getconf CLK_TCK)" "${rows[@]}" <<'PY'
import sys
tick_us = 1e6 / int(sys.argv[1])
rows = [line.split() for line in sys.argv[2:]]
print("%-10s %12s %10s %10s %10s %7s %14s %8s %8s" % ("server", "requests/s", "p50 ms", "p99 ms", "requests", "errors",
                                                       "CPU us/request", "of it sys", "steal %"))
for name, rps, p50, p99, count, errors, user, system, steal, total in rows:
    print("%-10s %12.0f %10.3f %10.3f %10s %7s %14.1f %8.1f %8.1f" % (
        name, float(rps), float(p50), float(p99), count, errors, (int(user) + int(system)) * tick_us / int(count),
        int(system) * tick_us / int(count), 100 * int(steal) / max(int(total), 1)))
if len(rows) < 4:
    sys.exit(0)
nginx, webhook, nginx_hs, webhook_hs = rows
ratio = float(webhook[1]) / float(nginx[1])
print("webhook/nginx requests/s: %.2fx (target >= 0.5x); webhook p99 %.3f ms (target <= 1 ms)" % (ratio, float(webhook[3])))
print("webhook/nginx new handshakes/s: %.2fx (target >= 0.8x)" % (float(webhook_hs[1]) / float(nginx_hs[1])))
PY
printf "%s\n" "${rss[@]}"
