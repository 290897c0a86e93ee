#!/usr/bin/env bash
# Installs what the native kernel addon builds against on Debian/Ubuntu: a C compiler and make (node-gyp) and
# oneDNN's headers and library. Idempotent. Without root (and no password-less sudo) it says so and leaves it:
# the engine then runs on wasm, and `electra-lab doctor` says why.
set -euo pipefail
if dpkg -s libdnnl-dev build-essential >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "native kernels: no apt-get here — install a C compiler and oneDNN (libdnnl) yourself, then npm run build:native"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "native kernels: needs root to apt-get install build-essential libdnnl-dev; skipped (the engine will run on wasm)"
    exit 0
  fi
fi
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq build-essential libdnnl-dev >/dev/null
echo "native build dependencies installed (build-essential, libdnnl-dev)"
