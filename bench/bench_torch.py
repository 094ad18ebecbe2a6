#!/usr/bin/env python3
"""PyTorch (CPU) timings of the shapes in bench/kernel_shapes.txt, the counterpart of bench_kernels.

    /usr/bin/python3 bench/bench_torch.py [--threads N] [--runs N] [NAME_SUBSTRING]

Same measurement as bench_kernels: 2 warm-ups, median of --runs (default 7), float32, the same FLOP
and byte counts. conv = F.conv2d (NCHW), mm = F.linear, dcn = the grid_sample formulation of DCNv3
(tools/ref/dcnv3_ref.py, what runs in PyTorch without the CUDA extension), roi = torchvision
roi_align per FPN level after mmdet's level mapping (the same proposals as bench_kernels).
Prints which BLAS torch was built with (torch.__config__.show()).
"""
import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools" / "ref"))
import dcnv3_ref  # noqa: E402


class XorShift:
    """The xorshift64 of bench_kernels.c, so the RoI proposals are identical."""

    def __init__(self, seed):
        self.s = seed

    def urand(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 7
        s ^= (s << 17) & 0xFFFFFFFFFFFFFFFF
        self.s = s
        return (s >> 11) / 9007199254740992.0


def f32(x):
    return float(torch.tensor(x, dtype=torch.float32))


def roi_level(b, levels):
    t = f32(f32(math.sqrt(f32(f32(b[3] - b[1]) * f32(b[4] - b[2])))) / 56.0) + 1e-6
    lv = 3 if t >= 8 else 2 if t >= 4 else 1 if t >= 2 else 0
    return min(lv, levels - 1)


def make_case(kind, args):
    if kind == "conv":
        n, cin, h, w, cout, k, s, p, g = map(int, args)
        x, wt, b = torch.randn(n, cin, h, w), torch.randn(cout, cin // g, k, k), torch.randn(cout)
        fn = lambda: F.conv2d(x, wt, b, s, p, 1, g)  # noqa: E731
        y = fn()
        return fn, 2.0 * y.numel() * (cin // g) * k * k, 4.0 * (x.numel() + wt.numel() + b.numel() + y.numel())
    if kind == "mm":
        m, k, n = map(int, args)
        x, wt, b = torch.randn(m, k), torch.randn(n, k), torch.randn(n)
        fn = lambda: F.linear(x, wt, b)  # noqa: E731
        return fn, 2.0 * m * k * n, 4.0 * (m * k + n * k + n + m * n)
    if kind == "dcn":
        n, h, w, g, cg = map(int, args[:5])
        os_ = float(args[5])
        v, off = torch.randn(n, h, w, g * cg), torch.randn(n, h, w, g * 18)
        mask = torch.rand(n, h, w, g * 9)
        p = dict(group=g, group_channels=cg, kernel_h=3, kernel_w=3, stride_h=1, stride_w=1, pad_h=1, pad_w=1,
                 dilation_h=1, dilation_w=1, offset_scale=os_)
        fn = lambda: dcnv3_ref.grid_sample_formula(v, off, mask, p)  # noqa: E731
        out = n * h * w * g * cg
        return fn, 10.0 * 9 * out, 4.0 * (v.numel() + off.numel() + mask.numel() + out)
    if kind == "roi":
        r, c, pp, levels = map(int, args)
        feats = [torch.randn(1, c, 56 >> l, 56 >> l) for l in range(levels)]
        rng = XorShift(12345)
        boxes, lv, samples = [], [], 0.0
        for _ in range(r):
            w = 8 * 28 ** rng.urand()
            h = 8 * 28 ** rng.urand()
            cx, cy = 224 * rng.urand(), 224 * rng.urand()
            b = [0.0, f32(cx - w / 2), f32(cy - h / 2), f32(cx + w / 2), f32(cy + h / 2)]
            l = roi_level(b, levels)
            s = 1.0 / (4 << l)
            samples += math.ceil((b[3] - b[1]) * s / pp) * math.ceil((b[4] - b[2]) * s / pp)
            boxes.append(b)
            lv.append(l)
        rois = torch.tensor(boxes, dtype=torch.float32)
        lvt = torch.tensor(lv)
        idx = [(lvt == l).nonzero().flatten() for l in range(levels)]

        def fn():
            out = torch.zeros(r, c, pp, pp)
            for l in range(levels):
                if idx[l].numel():
                    out[idx[l]] = torchvision.ops.roi_align(feats[l], rois[idx[l]], pp, 1.0 / (4 << l), 0, aligned=True)
            return out
        byt = 4.0 * (sum(f.numel() for f in feats) + rois.numel() + r * c * pp * pp)
        return fn, 9.0 * samples * pp * pp * c, byt
    return None


def blas_description():
    """Build-time BLAS_INFO from torch.__config__.show() and the BLAS library actually mapped (Debian's
    libblas.so.3 is an alternative: reference BLAS unless OpenBLAS/BLIS is installed)."""
    cfg = torch.__config__.show()
    info = next((t.split("=", 1)[1] for t in cfg.replace(",", " ").split() if t.startswith("BLAS_INFO=")), "?")
    torch.mm(torch.randn(8, 8), torch.randn(8, 8))
    libs = set()
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                libs.add(str(Path(path).resolve()))
    except OSError:
        pass
    return f"BLAS_INFO={info}, loaded: {', '.join(sorted(libs)) or 'none found'}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--shapes", default=str(HERE / "kernel_shapes.txt"))
    ap.add_argument("filter", nargs="?")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} thread(s); {blas_description()}")
    print(f"# {'name':<26} {'kind':<5} {'ms':>10} {'GFLOP/s':>10} {'GB/s':>9} timer")
    with torch.no_grad():
        for line in Path(a.shapes).read_text().splitlines():
            parts = line.split()
            if not parts or parts[0].startswith("#") or (a.filter and a.filter not in parts[0]):
                continue
            case = make_case(parts[1], parts[2:])
            if case is None:
                continue
            fn, flops, byt = case
            for _ in range(2):
                fn()
            ts = []
            for _ in range(a.runs):
                t0 = time.perf_counter_ns()
                fn()
                ts.append(time.perf_counter_ns() - t0)
            ns = statistics.median(ts)
            print(f"{parts[0]:<28} {parts[1]:<5} {ns / 1e6:10.3f} {flops / ns:10.2f} {byt / ns:9.2f} wall", flush=True)


if __name__ == "__main__":
    main()
