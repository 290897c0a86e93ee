"""Reads and writes .safetensors files with torch alone (the `safetensors` package is not a dependency).

Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
then the raw little-endian data; offsets are relative to the end of the header.
"""
import json
import os
import struct

import torch

# What the engine writes (F32) plus the common float/int types a Hugging Face folder may hold.
_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
           "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """{name: float32 tensor} (copies: the parameters are trained in place)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = bytearray(f.read())
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, not handled here")
        begin, end = entry["data_offsets"]
        dtype = _DTYPES[entry["dtype"]]
        if end == begin:
            out[name] = torch.zeros(entry["shape"], dtype=torch.float32)
            continue
        flat = torch.frombuffer(data, dtype=dtype, count=(end - begin) // _itemsize(dtype), offset=begin)
        out[name] = flat.reshape(entry["shape"]).to(torch.float32).clone()
    return out


def _itemsize(dtype):
    return torch.tensor([], dtype=dtype).element_size()


def encode_safetensors(tensors, metadata=None):
    """bytes of a safetensors file holding every tensor as float32, keys sorted (as the engine writes)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu", torch.float32).contiguous()
        raw = t.numpy().tobytes() if hasattr(t, "numpy") and _has_numpy() else bytes(t.untyped_storage())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # the format recommends 8-byte alignment of the data
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _has_numpy():
    try:
        import numpy  # noqa: F401
        return True
    except ImportError:
        return False


def write_safetensors(path, tensors, metadata=None):
    """Written to a temp file then renamed, so a reader never sees half a file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(encode_safetensors(tensors, metadata))
    os.replace(tmp, path)
