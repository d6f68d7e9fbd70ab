#!/usr/bin/env bash
# Check the system libraries the product needs; install missing ones with apt-get when running as root.
set -euo pipefail
missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "正在安装系统依赖 (installing system packages): ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "缺少系统依赖 (missing system packages): ${missing[*]}" >&2
    echo "请以 root 运行 (run as root): sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
