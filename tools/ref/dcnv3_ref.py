#!/usr/bin/env python3
"""Plain-PyTorch DCNv3 core reference, written from MODEL_SPEC §4.5 (steps 5–7), two independent ways:

1. `kernel_formula`: InternImage's CUDA `dcnv3_im2col_gpu_kernel` — location
       loc_x = (c − pad + w·stride) − c·os + (i·dil + off_x)·os,  c = (dil·(k−1)) >> 1,
   zero when loc ≤ −1 or loc ≥ size, bilinear taps outside the image count as 0, x-major points
   p = i·kh + j (i over width).
2. `grid_sample_formula`: the repository's `dcnv3_core_pytorch` — zero-pad, normalised reference points
   ((dil(k−1))//2 + 0.5 + w·stride)/W_pad, dilation grid scaled by offset_scale, F.grid_sample
   (align_corners=False, zeros). Unlike the repository it pads H by pad_h and W by pad_w (the original
   swaps them on NHWC, harmless when they are equal).

Used by tests/ops/test_dcnv3_torch.c: the test writes raw little-endian f32 files into a folder
(v.bin {N,H,W,C}, off.bin {N,Ho,Wo,G·K·2}, mask.bin {N,Ho,Wo,G·K}, params.json) and this script writes
kernel.bin and gridsample.bin (both {N,Ho,Wo,C}, f32, computed in float64). It exits 1 if the two
formulations disagree (NMSE > 1e-20 in float64), so a broken reference cannot pass silently.

    /usr/bin/python3 tools/ref/dcnv3_ref.py DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def kernel_formula(v, off, mask, p):
    N, H, W, C = v.shape
    G, Cg, kh, kw = p["group"], p["group_channels"], p["kernel_h"], p["kernel_w"]
    sh, sw, ph, pw, dh, dw, os_ = p["stride_h"], p["stride_w"], p["pad_h"], p["pad_w"], p["dilation_h"], p["dilation_w"], p["offset_scale"]
    K = kh * kw
    Ho, Wo = off.shape[1], off.shape[2]
    cw, ch = (dw * (kw - 1)) >> 1, (dh * (kh - 1)) >> 1
    dt = v.dtype
    wo = torch.arange(Wo, dtype=dt).view(1, 1, Wo, 1, 1)
    ho = torch.arange(Ho, dtype=dt).view(1, Ho, 1, 1, 1)
    pts = torch.arange(K)
    i = (pts // kh).to(dt).view(1, 1, 1, 1, K)  # x index: x-major
    j = (pts % kh).to(dt).view(1, 1, 1, 1, K)   # y index
    o = off.view(N, Ho, Wo, G, K, 2)
    loc_x = (cw - pw + wo * sw) - cw * os_ + (i * dw + o[..., 0]) * os_
    loc_y = (ch - ph + ho * sh) - ch * os_ + (j * dh + o[..., 1]) * os_
    inside = (loc_y > -1) & (loc_x > -1) & (loc_y < H) & (loc_x < W)
    y0, x0 = torch.floor(loc_y), torch.floor(loc_x)
    ly, lx = loc_y - y0, loc_x - x0
    m = mask.view(N, Ho, Wo, G, K)
    vg = v.view(N, H, W, G, Cg)
    nidx = torch.arange(N).view(N, 1, 1, 1, 1).expand_as(loc_x)
    gidx = torch.arange(G).view(1, 1, 1, G, 1).expand_as(loc_x)
    out = torch.zeros(N, Ho, Wo, G, Cg, dtype=dt)
    for dy, dx, wt in ((0, 0, (1 - ly) * (1 - lx)), (0, 1, (1 - ly) * lx), (1, 0, ly * (1 - lx)), (1, 1, ly * lx)):
        yy, xx = (y0 + dy).long(), (x0 + dx).long()
        ok = inside & (yy >= 0) & (yy <= H - 1) & (xx >= 0) & (xx <= W - 1)
        val = vg[nidx, yy.clamp(0, H - 1), xx.clamp(0, W - 1), gidx]  # [N,Ho,Wo,G,K,Cg]
        out += (val * (wt * ok.to(dt) * m).unsqueeze(-1)).sum(4)
    return out.reshape(N, Ho, Wo, C)


def grid_sample_formula(v, off, mask, p):
    N, H, W, C = v.shape
    G, Cg, kh, kw = p["group"], p["group_channels"], p["kernel_h"], p["kernel_w"]
    sh, sw, ph, pw, dh, dw, os_ = p["stride_h"], p["stride_w"], p["pad_h"], p["pad_w"], p["dilation_h"], p["dilation_w"], p["offset_scale"]
    K = kh * kw
    dt = v.dtype
    vp = F.pad(v, [0, 0, pw, pw, ph, ph])  # NHWC: last dim C, then W, then H
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho, Wo = off.shape[1], off.shape[2]
    ref_y, ref_x = torch.meshgrid(
        torch.linspace((dh * (kh - 1)) // 2 + 0.5, (dh * (kh - 1)) // 2 + 0.5 + (Ho - 1) * sh, Ho, dtype=dt),
        torch.linspace((dw * (kw - 1)) // 2 + 0.5, (dw * (kw - 1)) // 2 + 0.5 + (Wo - 1) * sw, Wo, dtype=dt),
        indexing="ij")
    ref = torch.stack((ref_x / Wp, ref_y / Hp), -1).reshape(1, Ho, Wo, 1, 2)
    gx, gy = torch.meshgrid(  # 'ij' on (x, y): x varies slowest → x-major points
        torch.linspace(-((dw * (kw - 1)) // 2), -((dw * (kw - 1)) // 2) + (kw - 1) * dw, kw, dtype=dt),
        torch.linspace(-((dh * (kh - 1)) // 2), -((dh * (kh - 1)) // 2) + (kh - 1) * dh, kh, dtype=dt),
        indexing="ij")
    grid = torch.stack([gx / Wp, gy / Hp], -1).reshape(-1, 1, 2).repeat(1, G, 1).permute(1, 0, 2)
    grid = grid.reshape(1, 1, 1, G * K, 2)
    norm = torch.tensor([Wp, Hp], dtype=dt).reshape(1, 1, 1, 2).repeat(1, 1, 1, G * K)
    loc = (ref + grid * os_).flatten(3, 4) + off * os_ / norm
    grids = 2 * loc - 1
    inp = vp.reshape(N, Hp * Wp, G * Cg).transpose(1, 2).reshape(N * G, Cg, Hp, Wp)
    g = grids.view(N, Ho * Wo, G, K, 2).transpose(1, 2).flatten(0, 1)
    s = F.grid_sample(inp, g, mode="bilinear", padding_mode="zeros", align_corners=False)
    m = mask.view(N, Ho * Wo, G, K).transpose(1, 2).reshape(N * G, 1, Ho * Wo, K)
    out = (s * m).sum(-1).view(N, G * Cg, Ho * Wo)
    return out.transpose(1, 2).reshape(N, Ho, Wo, C)


def load(path, shape):
    a = np.fromfile(path, dtype="<f4")
    if a.size != int(np.prod(shape)):
        raise SystemExit(f"{path}: {a.size} floats, expected {shape}")
    return torch.from_numpy(a.astype(np.float64)).reshape(shape)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    d = Path(sys.argv[1])
    p = json.loads((d / "params.json").read_text())
    N, H, W = p["n"], p["h"], p["w"]
    G, Cg = p["group"], p["group_channels"]
    K = p["kernel_h"] * p["kernel_w"]
    Ho = (H + 2 * p["pad_h"] - (p["dilation_h"] * (p["kernel_h"] - 1) + 1)) // p["stride_h"] + 1
    Wo = (W + 2 * p["pad_w"] - (p["dilation_w"] * (p["kernel_w"] - 1) + 1)) // p["stride_w"] + 1
    v = load(d / "v.bin", (N, H, W, G * Cg))
    off = load(d / "off.bin", (N, Ho, Wo, G * K * 2))
    mask = load(d / "mask.bin", (N, Ho, Wo, G * K))
    a = kernel_formula(v, off, mask, p)
    b = grid_sample_formula(v, off, mask, p)
    nmse = float(((a - b) ** 2).sum() / max(float((a ** 2).sum()), 1e-300))
    a.numpy().astype("<f4").tofile(d / "kernel.bin")
    b.numpy().astype("<f4").tofile(d / "gridsample.bin")
    print(f"dcnv3_ref: kernel vs grid_sample NMSE {nmse:.3e}")
    if nmse > 1e-20:
        sys.exit(1)


if __name__ == "__main__":
    main()
