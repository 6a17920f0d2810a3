# Sourced by the benchmark scripts: the operator built as the Dockerfile builds it.

# What `build_shipped_operator` makes: the binary with its symbols (for `perf`; it runs the same code), and a copy
# stripped as the image strips it, for memory figures of the very file that ships.
shipped_operator_binary="$PWD/.build-static/release/ecr-pullsecret-operator"
shipped_operator_stripped="$PWD/.build-static/ecr-pullsecret-operator"

# build_shipped_operator LOG: builds `ecr-pullsecret-operator` with the Dockerfile's flags (`-c release
# --static-swift-stdlib`) in a scratch directory of its own (.build-static, so the dynamic builds in .build are not
# relinked back and forth), with build output to LOG, and strips a copy. Linked statically, the Swift runtime's calls
# (retain, release, exclusivity checks) take no PLT jump or dynamic TLS lookup: the webhook's CPU per request is a
# few percent below the dynamic build's.
build_shipped_operator() {
    local log=$1
    swift build -c release --static-swift-stdlib --product ecr-pullsecret-operator --scratch-path .build-static \
        >"$log" 2>&1 || { grep -E "error:" "$log" | head -20 >&2; return 1; }
    strip --strip-all -o "$shipped_operator_stripped" "$shipped_operator_binary"
}
