#!/usr/bin/env bash
# The reconcile benchmark (docs/benchmarks.md): builds the release binaries once, then runs
# `ecr-bench reconcile` against the API test server (default) or a cluster (pass --kubeconfig/--context).
# Extra arguments go to `ecr-bench reconcile`, e.g. `hack/bench-reconcile.sh --namespaces 5000`.
# The operator measured is the one the Dockerfile builds (static, stripped: hack/lib/shipped-build.sh), whose
# memory the targets are for, unless `--operator-binary` names another. For memory figures drop the page cache first
# (`echo 3 > /proc/sys/vm/drop_caches`): with the binary's pages cached, the kernel maps more of them per fault.
# Env: CONFIG (release), SKIP_BUILD=1 to reuse the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/shipped-build.sh
config=${CONFIG:-release}
command -v moto_server >/dev/null || { echo "bench-reconcile: moto_server missing (hack/install-deps.sh)" >&2; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== swift build -c $config (ecr-bench), and the operator as the Dockerfile builds it" >&2
    swift build -c "$config" --product ecr-bench >/tmp/bench-reconcile-build.log 2>&1 \
        || { grep -E "error:" /tmp/bench-reconcile-build.log | head -20; exit 1; }
    build_shipped_operator /tmp/bench-reconcile-build-operator.log || exit 1
fi
bin=$(swift build -c "$config" --show-bin-path)
case " $* " in
    *" --operator-binary"*) exec "$bin/ecr-bench" reconcile "$@" ;;
    *) exec "$bin/ecr-bench" reconcile --operator-binary "$shipped_operator_stripped" "$@" ;;
esac
