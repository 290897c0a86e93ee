#!/usr/bin/env bash
# Installs what the real-VS-Code suite needs on a Debian machine without internet beyond the npm registry and
# Debian's packages: chromium, and code-server 4.100.3 (VS Code 1.100.3 with a Node extension host) in
# .e2e/code-server/. Idempotent. See ../shared/notes/vscode-e2e.md for why each step is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VERSION=4.100.3
if [ -x "$ROOT/.e2e/code-server/node_modules/.bin/code-server" ] && command -v chromium >/dev/null; then exit 0; fi

if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 libkrb5-dev ripgrep chromium >/dev/null
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub: seed its cache with Debian's rg instead.
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
work=$(mktemp -d)
cp "$(command -v rg)" "$work/rg"
tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$work" rg
rm -rf "$work"

mkdir -p "$ROOT/.e2e/code-server"
cd "$ROOT/.e2e/code-server"
[ -f package.json ] || echo '{"name":"e2e-code-server","private":true}' > package.json
npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" >/dev/null
echo "code-server $VERSION installed in .e2e/code-server"
