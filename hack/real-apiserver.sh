#!/usr/bin/env bash
# A real kube-apiserver on loopback, for benchmarks and checks by hand (not CI: building it takes 10-30 minutes on
# two cores). No Kubernetes server binary is packaged for Debian bookworm or on PyPI, but Debian's `kubernetes`
# source package (from which it builds only kubectl) is the whole Kubernetes 1.20.2 tree with its vendor/ folder,
# and bookworm packages Go 1.19 and etcd 3.4. This script downloads that source from deb.debian.org, builds
# kube-apiserver (once; kept in $CACHE), starts etcd and the API server on loopback with a static admin token, RBAC,
# and service-account signing keys, installs the project's CRDs, writes a kubeconfig, and waits until Ctrl-C or
# SIGTERM, then stops both and removes the data.
#
# What it is not: a whole control plane. No controller manager runs, so there is no garbage collector (an owner's
# deletion leaves its dependents) and a deleted namespace stays Terminating; no scheduler, no kubelet.
# Kubernetes 1.20 is older than the corpus's 1.26.1: no CEL rules (the CRDs use none), no server-side field
# validation (1.25: unknown fields are dropped, not refused), APF is beta but on.
#
# Usage: hack/real-apiserver.sh [DIR]   (default /dev/shm/real-apiserver: etcd's data on tmpfs). Prints
#        "kubeconfig: DIR/kubeconfig" when it is ready, e.g. for
#        `hack/bench-reconcile.sh --kubeconfig DIR/kubeconfig --namespaces 1000`. Its exit removes DIR: let one
#        exit before starting the next on the same DIR (restart it between large runs: the benchmark's deleted
#        namespaces stay Terminating, and the operator caches every namespace).
# Env: CACHE (/var/cache/ecr-real-apiserver: the source and the binary), PORT (6443), ETCD_PORT (2379).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/loopback.sh
repo=$(pwd)
dir=${1:-/dev/shm/real-apiserver}
cache=${CACHE:-/var/cache/ecr-real-apiserver}
port=${PORT:-6443}
etcd_port=${ETCD_PORT:-2379}
version=1.20.5+really1.20.2
source_sha256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc

need=()
command -v go >/dev/null || need+=(golang-go)
command -v etcd >/dev/null || need+=(etcd-server)
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || need+=(golang-github-modern-go-reflect2-dev)
for tool in make rsync jq curl; do command -v $tool >/dev/null || need+=($tool); done
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    echo "== apt-get install ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

apiserver=$cache/kube-apiserver-1.20.2
if [ ! -x "$apiserver" ]; then
    mkdir -p "$cache"
    tarball=$cache/kubernetes_$version.orig.tar.gz
    if [ ! -f "$tarball" ]; then
        echo "== downloading Debian's kubernetes $version source (34 MB)" >&2
        curl -fsSL -o "$tarball.part" "http://deb.debian.org/debian/pool/main/k/kubernetes/kubernetes_$version.orig.tar.gz"
        mv "$tarball.part" "$tarball"
    fi
    echo "$source_sha256  $tarball" | sha256sum -c --quiet -
    src=$cache/kubernetes-1.20.2
    if [ ! -d "$src" ]; then
        tar xzf "$tarball" -C "$cache"
        # Its vendored reflect2 1.0.1 calls the runtime's map iterator with Go 1.17's signature and faults under
        # Go 1.18+ (modern-go/reflect2#24); Debian's 1.0.2, same API, is the upstream fix.
        rm -rf "$src/vendor/github.com/modern-go/reflect2"
        cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$src/vendor/github.com/modern-go/"
    fi
    # Kubernetes' own build, as Debian's debian/rules runs it (GOPATH mode, generated code first: the OpenAPI
    # definitions the API server serves are generated, not in the source).
    echo "== make WHAT=cmd/kube-apiserver (10-30 min on two cores)" >&2
    (cd "$src" && HOME=${HOME:-/root} CGO_ENABLED=0 KUBE_GIT_VERSION=v1.20.2 make WHAT=cmd/kube-apiserver)
    cp "$src/_output/bin/kube-apiserver" "$apiserver.part"
    mv "$apiserver.part" "$apiserver"
fi

rm -rf "$dir" && mkdir -p "$dir/pki"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# A CA, the serving certificate (localhost, 127.0.0.1, and the in-cluster names), the service-account key pair.
pki=$dir/pki
issue_certificate "$pki" "$pki/apiserver.key" "$pki/apiserver.crt" \
    "DNS:localhost,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1" 7
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token=$(openssl rand -hex 24)
echo "$token,ecr-bench-admin,ecr-bench-admin,system:masters" >"$pki/tokens.csv"

etcd --name real-apiserver --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" >"$dir/etcd.log" 2>&1 &
pids+=($!)

"$apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" --insecure-port 0 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
    >"$dir/apiserver.log" 2>&1 &
pids+=($!)

cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: real-apiserver
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: real-apiserver
  context: {cluster: real-apiserver, user: admin}
current-context: real-apiserver
KUBECONFIG

api() {  # method path [body file]
    curl -sS --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" -X "$1" "https://127.0.0.1:$port$2" \
        ${3:+-H "Content-Type: application/yaml" --data-binary @"$3"}
}
for _ in $(seq 300); do
    [ "$(api GET /readyz 2>/dev/null)" = ok ] && break
    kill -0 "${pids[1]}" 2>/dev/null || { tail -20 "$dir/apiserver.log"; exit 1; }
    sleep 0.2
done
[ "$(api GET /readyz)" = ok ] || { echo "kube-apiserver did not get ready" >&2; tail -20 "$dir/apiserver.log"; exit 1; }

# The project's CRDs (each file holds one), then wait until both are established.
for crd in "$repo"/config/crd/ecr.pullsecrets.dev_*.yaml; do
    api POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$crd" >"$dir/crd.out"
    grep -q '"kind": "CustomResourceDefinition"' "$dir/crd.out" || { cat "$dir/crd.out"; exit 1; }
done
for _ in $(seq 100); do
    ready=$(api GET /apis/ecr.pullsecrets.dev/v1alpha1 | grep -c '"name": "[a-z]*awsecrimagepullsecrets"' || true)
    [ "$ready" -ge 2 ] && break
    sleep 0.2
done
echo "$("$apiserver" --version) on 127.0.0.1:$port, etcd $(etcd --version | head -1 | awk '{print $3}'), data in $dir"
echo "kubeconfig: $dir/kubeconfig"
wait "${pids[1]}"
