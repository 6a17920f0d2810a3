#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine. Idempotent; run as root
# (or with sudo available). Prints each step.
set -euo pipefail

apt_packages=(libcurl4-openssl-dev libssl-dev libnghttp2-dev curl openssl nghttp2-server util-linux wrk nginx-light)
pip_packages=("moto[server]==5.2.1" "helm-python-sdk==0.2.2" "PyYAML>=6" "jsonschema>=4" "pytest>=8")

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "install-deps: apt packages present"
fi

if python3 - "${pip_packages[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
import re
for spec in sys.argv[1:]:
    name = re.split(r"[\[<>=]", spec)[0]
    try:
        version(name)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
    echo "install-deps: pip packages present"
else
    echo "install-deps: pip install ${pip_packages[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"
fi
