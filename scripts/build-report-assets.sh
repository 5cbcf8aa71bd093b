#!/usr/bin/env bash
# build-report-assets.sh rebuilds the HTML report's embedded assets
# (internal/report/htmlreport/assets) from web/report: npm ci installs exactly what
# package-lock.json pins (with install scripts off), then build.mjs copies and joins the
# files. The assets are committed, so go build needs no npm; run this after changing
# web/report and commit the result.
set -euo pipefail
cd "$(dirname "$0")/../web/report"
command -v npm >/dev/null || { echo "build-report-assets: npm is needed (Debian: apt-get install -y npm)" >&2; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node build.mjs
