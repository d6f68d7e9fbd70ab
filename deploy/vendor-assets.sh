#!/usr/bin/env bash
# Vendor front-end assets from npm into static/vendor (no CDN at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "需要 Node.js/npm 来获取前端资源 (npm is required to vendor front-end assets)" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
mkdir -p static/vendor
cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts.min.js
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
