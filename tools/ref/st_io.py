"""Minimal safetensors writer/reader for the reference generators (Debian has no `safetensors` package).

Format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} padded
with spaces to a multiple of 8, then the raw little-endian tensor bytes.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
}


def save(path, tensors, metadata=None):
    """Write a {name: tensor} dict to `path` in safetensors format (names sorted)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load(path):
    """Read a safetensors file into {name: torch.Tensor} (float and integer types)."""
    inv = {v: k for k, v in _DTYPES.items()}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dt = inv[info["dtype"]]
        if dt == torch.bfloat16:
            arr = np.frombuffer(data[b:e], dtype=np.int16).copy()
            out[name] = torch.from_numpy(arr).view(torch.bfloat16).reshape(info["shape"])
        else:
            np_dt = torch.empty(0, dtype=dt).numpy().dtype
            arr = np.frombuffer(data[b:e], dtype=np_dt).copy()
            out[name] = torch.from_numpy(arr).reshape(info["shape"])
    return out
