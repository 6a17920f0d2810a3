# Sourced by the webhook benchmarks (after hack/lib/shipped-build.sh): ecr-bench, and the operator it serves the
# webhook from.

# prepare_webhook_binaries NAME CONFIG: with BUILD=1 (the default) builds ecr-bench (`-c CONFIG`) and, unless
# OPERATOR_BINARY names another, the operator as the Dockerfile builds it; build logs go to /tmp/NAME-build*.log.
# Sets operator_binary (OPERATOR_BINARY, or that build) and fails if it is not there.
prepare_webhook_binaries() {
    local name=$1 config=$2
    operator_binary=${OPERATOR_BINARY:-$shipped_operator_binary}
    if [ "${BUILD:-1}" = 1 ]; then
        echo "== swift build -c $config (ecr-bench), and the operator as the Dockerfile builds it"
        swift build -c "$config" --product ecr-bench >"/tmp/$name-build.log" 2>&1 \
            || { grep -E "error:" "/tmp/$name-build.log" | head -20; return 1; }
        [ -n "${OPERATOR_BINARY:-}" ] || build_shipped_operator "/tmp/$name-build-operator.log" || return 1
    fi
    [ -x "$operator_binary" ] || { echo "$name: no operator at $operator_binary (BUILD=1 builds it)" >&2; return 1; }
}

# start_webhook_serve ECR_BENCH WORK PORT OPERATOR SECONDS: `ECR_BENCH webhook-serve` on PORT with WORK/certs,
# running OPERATOR, and waits up to SECONDS for it to say it is ready (its log: WORK/serve.log). Its stdin is the FIFO
# WORK/serve.in, held open on fd 3: closing fd 3 stops the operator and the API test server (killed instead, it
# leaves the operator running). Sets webhook_serve_pid as soon as it starts, then webhook_operator_pid.
start_webhook_serve() {
    local ecr_bench=$1 work=$2 port=$3 operator=$4 seconds=$5 _
    mkfifo "$work/serve.in"
    "$ecr_bench" webhook-serve --port "$port" --cert-dir "$work/certs" --operator-binary "$operator" \
        <"$work/serve.in" >"$work/serve.log" 2>&1 &
    webhook_serve_pid=$!
    exec 3>"$work/serve.in"
    for _ in $(seq $(( seconds * 10 ))); do
        grep -q "^ready" "$work/serve.log" 2>/dev/null && break
        kill -0 "$webhook_serve_pid" 2>/dev/null || { cat "$work/serve.log"; return 1; }
        sleep 0.1
    done
    grep -q "^ready" "$work/serve.log" || { echo "the webhook did not start"; cat "$work/serve.log"; return 1; }
    webhook_operator_pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$work/serve.log")
}

# stop_webhook_serve SECONDS: closes fd 3, which stops the operator and the API test server, waits up to SECONDS for
# webhook-serve to exit, and kills it if it has not (killed before the operator stopped, it left the operator running).
stop_webhook_serve() {
    exec 3>&- 2>/dev/null || true
    [ -n "${webhook_serve_pid:-}" ] || return 0
    for _ in $(seq $(( $1 * 10 ))); do kill -0 "$webhook_serve_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$webhook_serve_pid" 2>/dev/null || true
}

# cpu_limited_wrapper WORK LIMIT COMMAND: writes WORK/cpu-limited, which runs COMMAND (with the wrapper's arguments)
# as a pod with `resources.limits.cpu: LIMIT` runs it: in a CPU cgroup of its own with a quota of LIMIT CPUs, whose
# files are bind-mounted where a container sees its own (/sys/fs/cgroup/cpu, or /sys/fs/cgroup with cgroup v2), in
# a mount namespace of its own. NIO then sizes its event loop group from the quota as it does in the pod
# (`System.coreCount`): the chart's limit of 1 CPU gives the webhook one event loop, not one per core of the node.
# Needs root and a writable cgroup hierarchy. Sets cpu_limit_group (remove it with rmdir once the command exited).
cpu_limited_wrapper() {
    local work=$1 limit=$2 command=$3 period=100000 quota mount_point
    quota=$(python3 -c "import sys; print(int(float(sys.argv[1]) * $period))" "$limit")
    if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
        cpu_limit_group=/sys/fs/cgroup/cpu/$(basename "$work")
        mount_point=/sys/fs/cgroup/cpu
        mkdir "$cpu_limit_group" && echo "$period" >"$cpu_limit_group/cpu.cfs_period_us" \
            && echo "$quota" >"$cpu_limit_group/cpu.cfs_quota_us" || return 1
    elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        cpu_limit_group=/sys/fs/cgroup/$(basename "$work")
        mount_point=/sys/fs/cgroup
        mkdir "$cpu_limit_group" && echo "$quota $period" >"$cpu_limit_group/cpu.max" || return 1
    else
        return 1
    fi
    cat >"$work/cpu-limited" <<WRAPPER
#!/bin/sh
echo \$\$ >"$cpu_limit_group/cgroup.procs" || exit 1
exec unshare --mount sh -c 'mount --bind "$cpu_limit_group" "$mount_point" && exec "\$@"' sh "$command" "\$@"
WRAPPER
    chmod +x "$work/cpu-limited"
}
