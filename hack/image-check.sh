#!/usr/bin/env bash
# Checks the operator image without a container engine: replays the Dockerfile in a Debian root filesystem.
#  1. builds the binary as the Dockerfile's build stage does (its SWIFT_BUILD_FLAGS, a copy of the same build
#     context, the commit stamped, stripped) and reports the size before and after stripping;
#  2. builds a bookworm root filesystem with `debootstrap --variant=minbase` plus exactly the Dockerfile's
#     RUNTIME_PACKAGES, copies the binary to the Dockerfile's path, and estimates the image size;
#  3. runs it there as the Dockerfile's USER with the root filesystem read-only (a private mount namespace with
#     /proc, /dev and a writable tmpfs /tmp, as the chart's emptyDir): `--help`, `--version`, and the operator
#     against the API test server until `/readyz` answers 200.
# Needs root, debootstrap, unshare (hack/install-deps.sh), Debian mirror access, and the debug build of the
# API test server (`swift build --product ecr-sandbox`). A release static-stdlib build takes many minutes:
# not part of hack/test.sh.
#
#   hack/image-check.sh          # work directory: $IMAGE_CHECK_DIR (default /tmp/ecr-image-check)
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$PWD
work=${IMAGE_CHECK_DIR:-/tmp/ecr-image-check}
started=$(date +%s)
say() { echo "image-check [$(( $(date +%s) - started ))s]: $*"; }
fail() { echo "image-check: FAIL: $*" >&2; exit 1; }

# What the Dockerfile says (the ARG lines, the COPY of the binary, the USER), so the two cannot drift.
dockerfile_arg() { sed -n "s/^ARG $1=\"\(.*\)\"$/\1/p" Dockerfile; }
build_flags=$(dockerfile_arg SWIFT_BUILD_FLAGS)
runtime_packages=$(dockerfile_arg RUNTIME_PACKAGES)
binary_path=$(sed -n 's|^COPY --from=build /out/ecr-pullsecret-operator \(/.*\)$|\1|p' Dockerfile)
user=$(sed -n 's/^USER \([0-9]*:[0-9]*\)$/\1/p' Dockerfile)
suite=$(sed -n 's/^FROM debian:\([a-z]*\)-slim$/\1/p' Dockerfile)
for v in build_flags runtime_packages binary_path user suite; do
    [ -n "${!v}" ] || fail "cannot read $v from the Dockerfile"
done
say "Dockerfile: swift build $build_flags; packages: $runtime_packages; binary: $binary_path; user $user; $suite"
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mount namespaces)"
command -v debootstrap >/dev/null || fail "debootstrap is missing (hack/install-deps.sh installs it)"

# 1. The build stage: the same build context (Package.swift, Package.resolved, Sources, Tests, the stamp script).
src="$work/src"
rm -rf "$src" && mkdir -p "$src/hack"
cp Package.swift "$src/"
[ -f Package.resolved ] && cp Package.resolved "$src/"
cp -r Sources Tests "$src/"
cp hack/stamp-commit.sh "$src/hack/"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- Package.swift Sources Tests; then commit="$commit-dirty"; fi
(cd "$src" && hack/stamp-commit.sh . "$commit")
say "swift build $build_flags (in $src; a release static-stdlib build takes a while)"
build_started=$(date +%s)
# shellcheck disable=SC2086 # the flags are words
(cd "$src" && swift package resolve >"$work/build.log" 2>&1 && swift build $build_flags >>"$work/build.log" 2>&1) \
    || { tail -30 "$work/build.log"; fail "swift build failed (log: $work/build.log)"; }
# shellcheck disable=SC2086
bin="$(cd "$src" && swift build $build_flags --show-bin-path)/ecr-pullsecret-operator"
say "built in $(( $(date +%s) - build_started ))s"
install -D "$bin" "$work/out/ecr-pullsecret-operator"
# Foundation (and ICU, Yams) cost ~10 MiB of RSS; the shipping modules use FoundationEssentials only.
if nm "$bin" | grep -qE '\$s(10Foundation|30FoundationInternationalization|4Yams)|icu_[0-9]'; then
    fail "the operator binary links Foundation, FoundationInternationalization, Yams or ICU (benchmarks.md, Memory)"
fi
size_before=$(stat -c %s "$work/out/ecr-pullsecret-operator")
strip --strip-all "$work/out/ecr-pullsecret-operator"
size_after=$(stat -c %s "$work/out/ecr-pullsecret-operator")

# 2. The runtime stage: debootstrap once per suite (cached), then the packages as the Dockerfile installs them.
base="$work/rootfs-$suite-minbase.tar"
if [ ! -f "$base" ]; then
    say "debootstrap --variant=minbase $suite"
    rm -rf "$work/debootstrap"
    debootstrap --variant=minbase "$suite" "$work/debootstrap" http://deb.debian.org/debian \
        >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed (log: $work/debootstrap.log)"; }
    tar -C "$work/debootstrap" -cf "$base" . && rm -rf "$work/debootstrap"
fi
rootfs="$work/rootfs"
rm -rf "$rootfs" && mkdir -p "$rootfs" && tar -C "$rootfs" -xf "$base"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
say "apt-get install --no-install-recommends $runtime_packages"
# shellcheck disable=SC2086
chroot "$rootfs" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $runtime_packages >/dev/null && rm -rf /var/lib/apt/lists/* && apt-get clean" \
    || fail "installing $runtime_packages in the root filesystem failed"
install -D -m 0755 "$work/out/ecr-pullsecret-operator" "$rootfs$binary_path"
# debian:*-slim leaves out documentation, man pages and locales (and has no apt cache): so does the estimate.
slim=(--exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale --exclude=./var/cache/apt)
image_bytes=$(tar -C "$rootfs" "${slim[@]}" -cf - . | wc -c)
image_gzip=$(tar -C "$rootfs" "${slim[@]}" -cf - . | gzip -6 | wc -c)

# 3. Run it as the Dockerfile's user on a read-only root, against the API test server.
sandbox_dir="$work/sandbox"
rm -rf "$sandbox_dir" && mkdir -p "$sandbox_dir"
[ -x .build/debug/ecr-sandbox ] || fail "no debug build of ecr-sandbox (run swift build first)"
.build/debug/ecr-sandbox apiserver --out-dir "$sandbox_dir/api" --crd-directory config/crd >"$sandbox_dir/log" 2>&1 &
kubeconfig="$sandbox_dir/api/kubeconfig"
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; wait $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do [ -s "$kubeconfig" ] && break; sleep 0.5; done
[ -s "$kubeconfig" ] || { cat "$sandbox_dir/log"; fail "the API test server did not start"; }
sleep 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

say "running $binary_path as $user on a read-only root"
export ROOTFS=$rootfs BINARY=$binary_path RUN_AS=$user KUBECONFIG_FILE=$kubeconfig PORT=$port
unshare --mount --propagation private bash -euo pipefail -c '
    mount --bind "$ROOTFS" "$ROOTFS"
    mount -o remount,bind,ro "$ROOTFS"
    mount -t proc proc "$ROOTFS/proc"
    mount --rbind /dev "$ROOTFS/dev"
    mount -t tmpfs -o size=64m,mode=1777 tmpfs "$ROOTFS/tmp"
    touch "$ROOTFS/usr/probe" 2>/dev/null && { echo "image-check: FAIL: the root filesystem is writable" >&2; exit 1; }
    install -m 0644 "$KUBECONFIG_FILE" "$ROOTFS/tmp/kubeconfig"
    run() { chroot --userspec="$RUN_AS" "$ROOTFS" "$BINARY" "$@"; }
    run --help >/tmp/image-check-help.txt || { echo "image-check: FAIL: --help" >&2; exit 1; }
    grep -q "USAGE: ecr-pullsecret-operator" /tmp/image-check-help.txt
    echo "--version: $(run --version)"
    [ "$(chroot --userspec="$RUN_AS" "$ROOTFS" id -u)" = "${RUN_AS%%:*}" ]
    run --kubeconfig /tmp/kubeconfig --webhook=false --log-format text \
        --metrics-bind-address "127.0.0.1:$PORT" --health-probe-bind-address "127.0.0.1:$PORT" \
        >/tmp/image-check-operator.log 2>&1 &
    operator=$!
    status=000
    for _ in $(seq 1 120); do
        status=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/readyz" || true)
        [ "$status" = 200 ] && break
        kill -0 $operator 2>/dev/null || break
        sleep 0.5
    done
    kill -TERM $operator 2>/dev/null || true
    wait $operator || true
    if [ "$status" != 200 ]; then
        tail -20 /tmp/image-check-operator.log >&2
        echo "image-check: FAIL: /readyz answered $status" >&2
        exit 1
    fi
    echo "/readyz: 200"
'

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
say "PASS"
echo "binary: $(mib "$size_before") unstripped, $(mib "$size_after") stripped"
echo "image estimate: $(mib "$image_bytes") unpacked, $(mib "$image_gzip") gzip-compressed" \
    "(slim base + packages + binary)"
echo "total time: $(( $(date +%s) - started ))s"
