#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/, scratch path .build-fuzz) and runs every fuzz target for the given
# number of seconds each. Prints executions per target. A crashing, leaking or hanging input is copied to
# Fuzz/Regressions/<target>/, where FuzzRegressionTests replays it in the normal test run; the script then
# exits non-zero.
#
# Usage: hack/fuzz.sh [seconds-per-target (default 60)] [target ...]   (targets: see Fuzz/Corpus/)
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls Fuzz/Corpus)
fi
scratch=.build-fuzz

echo "== building ecr-fuzz (libFuzzer + AddressSanitizer) into $scratch"
mkdir -p "$scratch"
start=$(date +%s)
if ! swift build --scratch-path "$scratch" --product ecr-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xlinker -u -Xlinker LLVMFuzzerRunDriver \
    >"$scratch/build.log" 2>&1; then
    grep -E "error:" "$scratch/build.log" | head -30
    tail -20 "$scratch/build.log"
    exit 1
fi
echo "   built in $(( $(date +%s) - start )) s"
binary="$(swift build --scratch-path "$scratch" --show-bin-path)/ecr-fuzz"

status=0
summary=()
for target in "${targets[@]}"; do
    seeds="Fuzz/Corpus/$target"
    if [ ! -d "$seeds" ]; then echo "unknown target $target (no $seeds)"; exit 2; fi
    work="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    rm -rf "$artifacts"
    mkdir -p "$work" "$artifacts"
    log="$scratch/$target.log"
    echo "== $target: ${seconds}s"
    # New interesting inputs go to $work (kept between runs); the committed seeds are read only.
    # (SWIFT_BACKTRACE: the Swift crash handler's own memory reads trip AddressSanitizer; libFuzzer reports.)
    FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no "$binary" "$work" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    runs=$(grep -oE "^stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1)
    rate=$(grep -oE "^stat::average_exec_per_sec: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1)
    found=0
    for artifact in "$artifacts"/*; do
        [ -e "$artifact" ] || continue
        found=$((found + 1))
        mkdir -p "Fuzz/Regressions/$target"
        cp "$artifact" "Fuzz/Regressions/$target/$(basename "$artifact")"
        echo "   saved Fuzz/Regressions/$target/$(basename "$artifact")"
    done
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        status=1
        grep -E "ERROR: |Fatal error|SUMMARY|==[0-9]+==" "$log" | head -10
    fi
    summary+=("$(printf '%-14s %12s execs %8s exec/s  crashes: %s' "$target" "${runs:-?}" "${rate:-?}" "$found")")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$status"
