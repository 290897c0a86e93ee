#!/usr/bin/env bash
# Installs, on Debian/Ubuntu, what the native kernel addon builds against — a C compiler and make (node-gyp) and
# oneDNN's headers and library — and Debian's PyTorch (python3-torch, CPU), which the exported distributed job
# and its tests (test/distributed-job.test.ts: the engine against PyTorch, torchrun with 2 processes) run on.
# Idempotent. Without root (and no password-less sudo) it says so and leaves it: the engine then runs on wasm,
# and `electra-lab doctor` says why.
set -euo pipefail
PACKAGES=(build-essential libdnnl-dev python3-torch)
if dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "native kernels: no apt-get here — install a C compiler, oneDNN (libdnnl) and PyTorch yourself, then npm run build:native"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "native kernels: needs root to apt-get install ${PACKAGES[*]}; skipped (the engine will run on wasm)"
    exit 0
  fi
fi
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
echo "build and test dependencies installed (${PACKAGES[*]})"
