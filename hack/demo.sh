#!/usr/bin/env bash
# Runs the operator in a sandbox: the in-process Kubernetes API test server and moto_server on
# loopback, a cluster resource selecting labelled namespaces, and a report of what was written
# (passwords are never printed). Needs the build dependencies and moto: run hack/install-deps.sh first.
#
#   hack/demo.sh                 # 15 s, then exit
#   hack/demo.sh --seconds 120 --kubeconfig-out /tmp/demo.kubeconfig   # poke at it with kubectl meanwhile
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import moto' 2>/dev/null; then
    echo "moto is not installed; run hack/install-deps.sh first" >&2
    exit 1
fi
exec swift run ecr-pullsecret-operator demo --crd-directory config/crd "$@"
