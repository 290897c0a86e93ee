#!/usr/bin/env bash
# Installs what the native kernel addon builds against on Debian/Ubuntu (needs root): a C compiler and make
# (node-gyp), and oneDNN's headers and library. Idempotent; does nothing when they are present.
set -euo pipefail
if dpkg -s libdnnl-dev build-essential >/dev/null 2>&1; then exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential libdnnl-dev >/dev/null
echo "native build dependencies installed (build-essential, libdnnl-dev)"
