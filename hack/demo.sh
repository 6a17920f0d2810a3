#!/usr/bin/env bash
# Runs the operator in a sandbox: the in-process Kubernetes API test server and moto_server on
# loopback, a cluster resource selecting labelled namespaces, and a report of what was written
# (passwords are never printed). Installs what it needs first (hack/install-deps.sh).
#
#   hack/demo.sh                 # 15 s, then exit
#   hack/demo.sh --seconds 120 --kubeconfig-out /tmp/demo.kubeconfig   # poke at it with kubectl meanwhile
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-deps.sh >&2
exec swift run ecr-sandbox demo --crd-directory config/crd "$@"
