#!/bin/sh
# Federated sign-in in a real browser against a real OpenID provider (issue 14 §4): builds
# `art60`, installs the locked npm packages (oidc-provider, playwright-core; no browser
# download, nothing fetched at test time), runs web-tests/oidc.mjs. Needs node >= 20.19 and
# Debian's chromium (/usr/bin/chromium).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$root/target}
cd "$root"
cargo build -q -p art60 --bin art60
cd "$here"
[ -d node_modules/oidc-provider ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
ART60_BIN="$target/debug/art60" node oidc.mjs
