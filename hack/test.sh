#!/usr/bin/env bash
# The project's test command: installs what it needs, builds, then runs every test suite.
# Exits non-zero if anything fails.
set -uo pipefail
cd "$(dirname "$0")/.."

hack/install-deps.sh || exit 1

echo "== swift build --build-tests"
if ! swift build --build-tests >/tmp/ecr-build.log 2>&1; then
    grep -E "error:" /tmp/ecr-build.log | head -50
    tail -20 /tmp/ecr-build.log
    exit 1
fi
# Warnings in project code are errors of taste: show them (dependencies' warnings are not ours).
grep -E "warning:" /tmp/ecr-build.log | grep -v "/.build/checkouts/" | sort -u || true

# A closure literal inside an awaited #expect/#require argument can run another closure's body with Swift 6.3.1
# (Tests/AsyncTestSupport/Eventually.swift): such a test checks something other than what it says. Refuse them.
awaited_closure='#(?:expect|require)\(\s*(?:try\s+)?await\s+[\w.]+(?:\((?:[^()]|\([^()]*\))*\))?\s*\{'
in_macro=$(perl -0777 -ne "print \"\$ARGV\\n\" if /$awaited_closure/" $(find Tests -name '*.swift'))
if [ -n "$in_macro" ]; then
    echo "closures inside an awaited #expect/#require (use expectEventually or a let):"
    echo "$in_macro"
    exit 1
fi

# Serially: the suites start servers, moto and TLS peers, and assert that things happen within a
# second or two; run all at once on a 2-core machine they starve each other (CI has 2 cores).
echo "== swift test"
swift test --skip-build --no-parallel 2>&1 | tee /tmp/ecr-swift-test.log | grep -vE "^\[[0-9]+/[0-9]+\]"
status=${PIPESTATUS[0]}

# A short coverage-guided pass over every fuzz target (the saved crashes are replayed above by
# FuzzRegressionTests); a crash is saved under Fuzz/Regressions/ and fails the run. FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
    echo "== fuzz (${FUZZ_SECONDS:-10} s per target)"
    hack/fuzz.sh "${FUZZ_SECONDS:-10}" || status=1
fi

if [ -d test/chart ]; then
    echo "== pytest (chart and manifests)"
    python3 -m pytest -q test/chart || status=1
fi

# The built binary as the chart's Deployment runs it: UID 65532, in-cluster config, RBAC as rendered, moto as AWS.
# Needs root for unshare/setpriv; -rs prints the reason if it is skipped.
echo "== pytest (deployment smoke test)"
python3 -m pytest -q -rs test/deploy || status=1
exit "$status"
