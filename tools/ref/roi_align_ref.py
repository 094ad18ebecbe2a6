#!/usr/bin/env python3
"""Multi-level RoIAlign reference with torchvision (MODEL_SPEC §5.6–5.7), for tests/ops/test_roi_align_torch.c.

The test writes raw little-endian f32 files into a folder: feat<l>.bin {N,C,H_l,W_l} for each level,
rois.bin {R,5} (batch, x1, y1, x2, y2) and params.json (n, c, hs, ws, strides, output_size,
sampling_ratio, aligned, finest_scale). This script maps every RoI to a level with mmdet's
map_roi_levels (f32 torch, as mmdet: floor(log2(sqrt(w·h)/finest + 1e-6)) clamped) and pools it with
torchvision.ops.roi_align(spatial_scale = 1/stride, aligned) on that level. It writes out.bin {R,C,P,P}
and levels.bin {R} (f32).

    /usr/bin/python3 tools/ref/roi_align_ref.py DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    d = Path(sys.argv[1])
    p = json.loads((d / "params.json").read_text())
    L = len(p["strides"])
    feats = []
    for l in range(L):
        shape = (p["n"], p["c"], p["hs"][l], p["ws"][l])
        a = np.fromfile(d / f"feat{l}.bin", dtype="<f4")
        feats.append(torch.from_numpy(a).reshape(shape))
    rois = torch.from_numpy(np.fromfile(d / "rois.bin", dtype="<f4")).reshape(-1, 5)
    scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    lv = torch.floor(torch.log2(scale / p["finest_scale"] + 1e-6)).clamp(min=0, max=L - 1).long()
    P = p["output_size"]
    out = torch.zeros(rois.shape[0], p["c"], P, P)
    for l in range(L):
        m = lv == l
        if m.any():
            out[m] = torchvision.ops.roi_align(feats[l], rois[m], P, 1.0 / p["strides"][l], p["sampling_ratio"],
                                               aligned=bool(p["aligned"]))
    out.numpy().astype("<f4").tofile(d / "out.bin")
    lv.float().numpy().astype("<f4").tofile(d / "levels.bin")
    print(f"roi_align_ref: {rois.shape[0]} RoIs, per level {[int((lv == l).sum()) for l in range(L)]}")


if __name__ == "__main__":
    main()
