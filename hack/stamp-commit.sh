#!/usr/bin/env bash
# Writes the git commit into BuildInfo.swift of a source tree before a release build, so `--version` and the
# ecr_pullsecret_build_info metric say what was built. The Dockerfile runs it in its build stage (with
# --build-arg GIT_COMMIT) and hack/image-check.sh in its copy of the sources; never run it on a checkout you
# commit from.
#
#   hack/stamp-commit.sh SOURCE_DIR [COMMIT]   # COMMIT default: git rev-parse --short=12 HEAD (+ "-dirty")
set -euo pipefail
dir=${1:?usage: hack/stamp-commit.sh SOURCE_DIR [COMMIT]}
commit=${2:-}
if [ -z "$commit" ]; then
    if commit=$(git -C "$(dirname "$0")" rev-parse --short=12 HEAD 2>/dev/null); then
        git -C "$(dirname "$0")" diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
    else
        commit=unknown
    fi
fi
if ! [[ "$commit" =~ ^[0-9A-Za-z._-]{1,64}$ ]]; then
    echo "stamp-commit: commit must be 1-64 characters of [0-9A-Za-z._-], got '$commit'" >&2
    exit 1
fi
file="$dir/Sources/ecr-pullsecret-operator/BuildInfo.swift"
grep -q '^    static let commit = ' "$file" || { echo "stamp-commit: no commit constant in $file" >&2; exit 1; }
sed -i "s/^    static let commit = .*/    static let commit = \"$commit\"/" "$file"
echo "stamp-commit: $file: commit $commit"
