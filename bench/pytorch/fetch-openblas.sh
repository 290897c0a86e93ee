#!/usr/bin/env bash
# Prints a folder holding OpenBLAS's libblas.so.3 for the PyTorch peer, fetched from Debian's archive once
# (apt-get download + dpkg -x, no install: the system's BLAS alternative is left as it is). Debian's torch calls
# whatever libblas.so.3 it finds; the default reference BLAS is ~15x slower, which would make an unfair peer.
set -euo pipefail
dir="${XDG_CACHE_HOME:-$HOME/.cache}/electra-lab/openblas"
lib="$dir/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [ ! -e "$lib/libblas.so.3" ]; then
  mkdir -p "$dir"
  (cd "$dir" && apt-get download -qq libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb "$dir")
fi
echo "$lib"
