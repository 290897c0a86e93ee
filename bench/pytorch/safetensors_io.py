"""Reads a .safetensors file into torch tensors without the `safetensors` package (not installed here).

Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
then the raw little-endian data; offsets are relative to the end of the header.
"""
import json
import struct

import numpy as np
import torch

# Only what the engine writes (F32) plus the common float/int types a Hugging Face folder may hold.
_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, not handled here")
        begin, end = entry["data_offsets"]
        dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin).reshape(entry["shape"])
        # Copy: frombuffer views are read-only, and the parameters are trained in place.
        out[name] = torch.from_numpy(array.astype(np.float32, copy=True))
    return out
