"""A small safetensors writer (the `safetensors` package is not in Debian).

Layout: 8-byte little-endian header length, the JSON header padded with spaces to a multiple of 8,
then the tensors' raw little-endian bytes, contiguous, largest element size first so that every tensor
starts at a multiple of its element size and stays aligned when the file is memory-mapped.
"""
import json
import os
import struct
import sys

import torch

DTYPE_NAMES = {
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.float64: ("F64", 8),
    torch.int64: ("I64", 8),
    torch.int32: ("I32", 4),
    torch.uint8: ("U8", 1),
    torch.bool: ("BOOL", 1),
}


def tensor_bytes(t):
    """Raw little-endian bytes of a CPU tensor in row-major order."""
    if sys.byteorder != "little":
        raise RuntimeError("this writer assumes a little-endian host")
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write(path, tensors, metadata=None):
    """Write {name: tensor} (+ optional {str: str} metadata) to `path` atomically (tmp + rename)."""
    for name, t in tensors.items():
        if t.dtype not in DTYPE_NAMES:
            raise ValueError(f"tensor '{name}': dtype {t.dtype} has no safetensors equivalent here")
    order = sorted(tensors, key=lambda n: (-DTYPE_NAMES[tensors[n].dtype][1], n))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    blobs = []
    for name in order:
        t = tensors[name]
        data = tensor_bytes(t)
        dtype, size = DTYPE_NAMES[t.dtype]
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
