"""Thread control and machine facts for the peer: which BLAS torch really calls, and how many threads.

Debian's torch is built with BLAS_INFO=generic: its matrix products go to whatever libblas.so.3 the
alternatives system points at (OpenBLAS here). torch.set_num_threads sets OpenMP's count only, so the
OpenBLAS pool is set too through its own C entry point; otherwise "1 thread" would still run BLAS on 2.
"""
import ctypes
import os
import resource

import torch


def blas_libraries():
    """Shared objects mapped into this process whose names say BLAS (after torch ran a matmul)."""
    torch.ones(4, 4) @ torch.ones(4, 4)
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if any(word in path for word in ("blas", "mkl", "dnnl", "lapack")):
                found.add(path)
    return sorted(found)


def _openblas():
    for path in blas_libraries():
        if "openblas" in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_num_threads  # noqa: B018 -- raises if absent
                return lib
            except (OSError, AttributeError):
                continue
    return None


_LIB = None


def set_threads(n):
    """torch's intra-op threads and OpenBLAS's pool to n. Returns what OpenBLAS reports afterwards."""
    global _LIB
    torch.set_num_threads(n)
    if _LIB is None:
        _LIB = _openblas() or False
    if _LIB:
        _LIB.openblas_set_num_threads(n)
        return _LIB.openblas_get_num_threads()
    return None


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def describe():
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {"torch": torch.__version__, "blas": blas_libraries(), "env": env}
