#!/bin/sh
# Browser tests of the portal. Needs: node >= 18, npm, Debian's chromium (/usr/bin/chromium).
# Builds the standalone portal example, installs the locked npm packages (no browser
# download), runs web-tests/run.mjs. Screenshots go to docs/screenshots/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$root/target}
cd "$root"
cargo build -q -p art60-web --example portal
cd "$here"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
PORTAL_BIN="$target/debug/examples/portal" node run.mjs
