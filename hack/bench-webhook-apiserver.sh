#!/usr/bin/env bash
# The webhook as a real API server calls it. wrk POSTs dry-run creates of an AWSECRImagePullSecret to
# kube-apiserver (started by hack/real-apiserver.sh) over TLS keep-alive connections: first with no webhook
# registered, then with a ValidatingWebhookConfiguration that sends each create to the operator's webhook (the
# real binary, controllers off, on 127.0.0.1, its claim lookup served from its informers). A dry-run create runs
# the whole admission chain and stores nothing, so every request is the same review and none claims a Secret
# another has claimed. Prints requests/s, p50 and p99 of both passes, what the webhook added, and the CPU per
# create of the API server and of the operator.
#
# Usage: hack/bench-webhook-apiserver.sh [duration, default 10s]. Env: KUBECONFIG_PATH (default
# /dev/shm/real-apiserver/kubeconfig, as hack/real-apiserver.sh writes it), CONNECTIONS (8), THREADS (1),
# CONFIG (release), BUILD (1; 0 uses the binary already in .build/$CONFIG).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/loopback.sh

duration=${1:-10s}
connections=${CONNECTIONS:-8}
threads=${THREADS:-1}
config=${CONFIG:-release}
kubeconfig=${KUBECONFIG_PATH:-/dev/shm/real-apiserver/kubeconfig}
for tool in wrk openssl curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-webhook-apiserver: $tool missing (hack/install-deps.sh installs it)" >&2; exit 1; }
done
[ -f "$kubeconfig" ] || { echo "no kubeconfig at $kubeconfig: start hack/real-apiserver.sh first" >&2; exit 1; }
server=$(sed -n 's/^ *server: *//p' "$kubeconfig" | head -1)
ca=$(sed -n 's/^ *certificate-authority: *//p' "$kubeconfig" | head -1)
token=$(sed -n 's/^ *token: *//p' "$kubeconfig" | head -1)
apiserver_pid=$(pgrep -f "kube-apiserver.* --secure-port ${server##*:}" | head -1 || true)
[ -n "$apiserver_pid" ] || { echo "no kube-apiserver process on port ${server##*:} (its CPU is measured)" >&2; exit 1; }

if [ "${BUILD:-1}" = 1 ]; then
    echo "== swift build -c $config --product ecr-pullsecret-operator"
    swift build -c "$config" --product ecr-pullsecret-operator >/tmp/bench-webhook-apiserver-build.log 2>&1 \
        || { grep -E "error:" /tmp/bench-webhook-apiserver-build.log | head -20; exit 1; }
fi
operator=.build/$config/ecr-pullsecret-operator

work=$(mktemp -d /tmp/bench-webhook-apiserver.XXXXXX)
operator_pid=
api() {  # method path [body]: the answer's body; fails on an HTTP error
    curl -sS --fail-with-body --cacert "$ca" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
        -X "$1" "$server$2" ${3:+--data-binary "$3"}
}
cleanup() {
    api DELETE /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/ecr-bench-webhook \
        >/dev/null 2>&1 || true
    if [ -n "$operator_pid" ]; then kill "$operator_pid" 2>/dev/null || true; wait "$operator_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The webhook's certificate: a CA (the configuration's caBundle) and a leaf for 127.0.0.1 (P-256).
issue_certificate "$work" "$work/certs/tls.key" "$work/certs/tls.crt" "IP:127.0.0.1"

webhook_port=$(free_port)
probe_port=$(free_port)
"$operator" --kubeconfig "$kubeconfig" --controllers=false --log-level error \
    --webhook-bind-address 127.0.0.1 --webhook-port "$webhook_port" --webhook-cert-dir "$work/certs" \
    --metrics-bind-address "127.0.0.1:$(free_port)" --health-probe-bind-address "127.0.0.1:$probe_port" \
    >"$work/operator.log" 2>&1 &
operator_pid=$!
for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$probe_port/readyz")" = 200 ] && break
    kill -0 "$operator_pid" 2>/dev/null || { cat "$work/operator.log"; exit 1; }
    sleep 0.1
done

namespace=ecr-bench-webhook
api POST /api/v1/namespaces "{\"metadata\":{\"name\":\"$namespace\"}}" >/dev/null 2>&1 || true
resource_path=/apis/ecr.pullsecrets.dev/v1alpha1/namespaces/$namespace/awsecrimagepullsecrets
body=$(printf '{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret","metadata":{"name":"reg","namespace":"%s"},"spec":{"secretName":"ecr-login","refreshInterval":"%s","awsAccess":{"region":"us-west-2","secretRef":{"name":"aws-creds"}}}}' "$namespace" 6h)
printf '%s' "$body" >"$work/body.json"
cat >"$work/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/body.json", "rb"); wrk.body = f:read("*a"); f:close()
-- errors: wrk counts every answer above 399 and every socket error.
done = function(summary, latency, requests)
    io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, summary.requests,
        summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
url="$server$resource_path?dryRun=All"
warm_up() { wrk -t"$threads" -c"$connections" -d2s -s "$work/create.lua" "$url" >/dev/null; }
run() {  # name: "name rps p50 p99 max requests errors apiserver-ticks operator-ticks"
    local a0 o0 result
    a0=$(cpu_ticks "$apiserver_pid")
    o0=$(cpu_ticks "$operator_pid")
    result=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/create.lua" "$url" | grep "^RESULT")
    echo "$result $(( $(cpu_ticks "$apiserver_pid") - a0 )) $(( $(cpu_ticks "$operator_pid") - o0 ))" \
        | sed "s/^RESULT/$1/"
}

echo "== wrk: $connections keep-alive TLS connections to kube-apiserver $(api GET /version | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])'), $threads threads, $duration each, dry-run creates; $(nproc) cores: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2)"
warm_up
without=$(run without-webhook)

cabundle=$(base64 -w0 "$work/ca.crt")
api POST /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations "$(cat <<JSON
{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
 "metadata":{"name":"ecr-bench-webhook"},
 "webhooks":[{"name":"awsecrimagepullsecrets.validate.ecr.pullsecrets.dev",
   "clientConfig":{"url":"https://127.0.0.1:$webhook_port/validate-awsecrimagepullsecret","caBundle":"$cabundle"},
   "rules":[{"apiGroups":["ecr.pullsecrets.dev"],"apiVersions":["v1alpha1"],"operations":["CREATE","UPDATE"],
             "resources":["awsecrimagepullsecrets"],"scope":"Namespaced"}],
   "failurePolicy":"Fail","sideEffects":"None","admissionReviewVersions":["v1"],"timeoutSeconds":10}]}
JSON
)" >/dev/null
# The webhook is in the path once the API server refuses what only it refuses (a 1m refresh interval).
bad=${body/\"6h\"/\"1m\"}
in_path=0
for _ in $(seq 100); do
    answer=$(curl -sS --cacert "$ca" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
        -X POST "$server$resource_path?dryRun=All" --data-binary "$bad" 2>&1 || true)
    if grep -q "outside the allowed range" <<<"$answer"; then in_path=1; break; fi
    sleep 0.1
done
[ "$in_path" = 1 ] || { echo "the API server never called the webhook: $answer"; cat "$work/operator.log"; exit 1; }
echo "== the webhook is in the path: $(python3 -c 'import json, sys; print(json.load(sys.stdin)["message"])' <<<"$answer")"
# The API server's own timing of its calls to the webhook (admitted creates), before and after the pass.
webhook_calls() {
    api GET /metrics | grep -E '^apiserver_admission_webhook_admission_duration_seconds_(bucket|sum|count)\{name="awsecrimagepullsecrets[^}]*operation="CREATE",rejected="false"' \
        | sed -E 's/^apiserver_admission_webhook_admission_duration_seconds_([a-z]+)\{.*le="([^"]*)".*\} /\1:\2 /; s/^apiserver_admission_webhook_admission_duration_seconds_([a-z]+)\{[^}]*\} /\1 /'
}
warm_up
webhook_calls >"$work/calls.before"
with=$(run with-webhook)
webhook_calls >"$work/calls.after"

python3 - "$(getconf CLK_TCK)" "$without" "$with" <<'PY'
import sys
tick_us = 1e6 / int(sys.argv[1])
rows = [line.split() for line in sys.argv[2:]]
print("%-16s %10s %8s %8s %9s %9s %7s %24s %22s" % ("pass", "creates/s", "p50 ms", "p99 ms", "max ms", "requests",
                                                     "errors", "apiserver CPU us/create", "webhook CPU us/create"))
for name, rps, p50, p99, most, count, errors, api, op in rows:
    n = int(count)
    print("%-16s %10.0f %8.3f %8.3f %9.1f %9d %7s %24.0f %22.0f" % (name, float(rps), float(p50), float(p99),
                                                                   float(most), n, errors, int(api) * tick_us / n,
                                                                   int(op) * tick_us / n))
(_, r0, a50, a99, *_), (_, r1, b50, b99, *_) = rows
print("the webhook adds %.3f ms at p50 and %.3f ms at p99 to a create; creates/s %.2fx of the pass without it" % (
    float(b50) - float(a50), float(b99) - float(a99), float(r1) / float(r0)))
PY
python3 - "$work/calls.before" "$work/calls.after" <<'PY'
import sys
def read(path):
    values = {}
    for line in open(path):
        key, value = line.split()
        values[key] = float(value)
    return values
before, after = read(sys.argv[1]), read(sys.argv[2])
delta = {key: after[key] - before.get(key, 0.0) for key in after}
calls = delta.get("count", 0)
if calls <= 0:
    sys.exit("the API server counted no calls to the webhook")
buckets = sorted(((float(key.split(":")[1]), value) for key, value in delta.items() if key.startswith("bucket:")))
shares = ", ".join("<= %g ms %.1f%%" % (le * 1000, 100 * count / calls) for le, count in buckets if le <= 0.1)
print("the API server's timing of its %d calls to the webhook: mean %.3f ms; %s" % (
    calls, 1000 * delta["sum"] / calls, shares))
PY
