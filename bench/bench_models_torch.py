#!/usr/bin/env python3
"""Whole-model benchmark: hemovk (bench_models, on the current Vulkan device) vs PyTorch on the CPU, same
random weights, same shapes, runs interleaved (hemovk f32, hemovk f16, torch, hemovk f32, ...).

    /usr/bin/python3 bench/bench_models_torch.py prepare --cache DIR [MODEL[:BATCH] ...]
    /usr/bin/python3 bench/bench_models_torch.py run --cache DIR --bench BUILD/bench/bench_models \
        --threads N [--budget S] [--results FILE] [MODEL[:BATCH] ...]
    /usr/bin/python3 bench/bench_models_torch.py table FILE

prepare: builds each network from the plain-PyTorch references in tools/ref (efficientnet_mm, convnext_mm,
  internimage_ref) with gen_backbone.py's randomisation, and writes DIR/<model>_n<batch>/weights.safetensors
  (mmpretrain names) and io.safetensors (the input and PyTorch's outputs out.<i>). Skipped when present.
run: for each model, starts bench_models --serve once per dtype (f32, f16) with LP_NUM_THREADS=N (lavapipe's
  worker threads), loads the same weights into the PyTorch module (eval, no_grad, torch.set_num_threads(N),
  channels-last when it is faster here), warms both up, then does rounds of one run each, interleaved, until
  --budget seconds are spent (at least 3 rounds, at most 15) and reports medians. hemovk's wall time is one
  hv_plan_run (input copy-in, the recorded command buffer, outputs copied back, one fence wait); its GPU time
  is the sum of the profiled dispatch times (from a separate profiled plan, after the timed rounds).
  PyTorch runs f32 only (its CPU f16 convolutions are not a fair baseline), so the hemovk f16 rows are
  compared with PyTorch f32 too. InternImage uses the InternImage repository's PyTorch DCNv3 fallback
  (grid_sample; internimage_ref.dcnv3_core_pytorch), which is what runs without the CUDA extension.
  With --ort, ONNX Runtime (node bench/bench_models_ort.mjs, onnxruntime-node under bench/ort) joins the
  rounds, on DIR/<case>/model.onnx exported from the same module and weights with torch.onnx.export.
  Appends one JSON line per (model, dtype) to --results.
table: prints the collected rows as one table. ratio = hemovk ms / torch ms, ort_r = hemovk ms / ORT ms
  (> 1: hemovk slower; the kernel table of run_kernels.sh uses the inverse).

Model names: effb0, effb7 (classifiers, raw 0-255 input, TF-SAME: the paper's B7), convnext-t, convnext-b
(classifiers), internimage-t, internimage-xl (backbones, 4 feature maps); ":8" sets batch 8. 224x224.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools" / "ref"))
sys.path.insert(0, str(HERE))
import convnext_mm  # noqa: E402
import efficientnet_mm  # noqa: E402
import internimage_ref  # noqa: E402
import st_io  # noqa: E402
from gen_backbone import randomise  # noqa: E402

SIZE = 224
DEFAULT_MODELS = ["effb0", "effb0:8", "effb7", "convnext-t", "convnext-b", "internimage-t", "internimage-xl"]


class Net(torch.nn.Module):
    """A reference module with the outputs bench_models reads (out.<i>), in the same order."""

    def __init__(self, name):
        super().__init__()
        self.name = name
        if name.startswith("eff"):
            self.m = efficientnet_mm.Classifier(name[3:], num_classes=2)
        elif name.startswith("convnext"):
            depths, dims = convnext_mm.ARCH["tiny" if name.endswith("-t") else "base"]
            self.m = convnext_mm.Classifier(depths, dims, num_classes=2)
        else:
            ch, depths, groups, osc, post, ratio = internimage_ref.ARCH[name.split("-")[1]]
            self.m = internimage_ref.Wrapper(channels=ch, depths=depths, groups=groups, offset_scale=osc,
                                             post_norm=post, mlp_ratio=ratio)
            for mod in self.m.modules():
                if isinstance(mod, internimage_ref.DCNv3):
                    mod.core = internimage_ref.dcnv3_core_pytorch

    def forward(self, x):
        if self.name.startswith("internimage"):
            return list(self.m(x))
        return [self.m(x)[1]]


def parse_spec(spec):
    name, _, batch = spec.partition(":")
    return name, int(batch or 1)


def case_dir(cache, name, batch):
    return Path(cache) / f"{name}_n{batch}"


def make_input(name, batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 3, SIZE, SIZE, generator=gen)
    return x * 255.0 if name.startswith("eff") else x  # B7/B0: raw RGB 0-255 (MODEL_SPEC §1.1)


def prepare(cache, specs):
    for spec in specs:
        name, batch = parse_spec(spec)
        d = case_dir(cache, name, batch)
        if (d / "io.safetensors").exists():
            continue
        d.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        torch.manual_seed(0)
        net = Net(name)
        randomise(net.m, torch.Generator().manual_seed(1))
        net.eval()
        x = make_input(name, batch)
        with torch.no_grad():
            outs = net(x)
        st_io.save(str(d / "weights.safetensors"), net.m.state_dict())
        io = {"input": x}
        io.update({f"out.{i}": o.contiguous() for i, o in enumerate(outs)})
        st_io.save(str(d / "io.safetensors"), io, {"model": name})
        print(f"# prepared {d.name} in {time.time() - t0:.1f} s", flush=True)


class Server:
    """A timing process on the line protocol: first line "info k=v ...", then "run K" -> "times <ms> ...";
    bench_models --serve (hemovk) and bench_models_ort.mjs (ONNX Runtime)."""

    def __init__(self, argv, log_path, env=None):
        self.log = open(log_path, "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                  env=env)
        line = self._read()
        self.info = dict(kv.split("=", 1) for kv in shlex.split(line)[1:] if "=" in kv)

    def _read(self):
        line = self.p.stdout.readline()
        if not line or line.startswith("error"):
            self.p.kill()
            raise RuntimeError(f"{self.p.args[0]} failed: {line.strip() or 'no output'} (see {self.log.name})")
        return line

    def cmd(self, c):
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        return self._read().split()

    def run(self, k=1):
        return [float(v) for v in self.cmd(f"run {k}")[1:]]

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(timeout=120)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
        self.log.close()


class Hemovk(Server):
    """One bench_models --serve process (one dtype); LP_NUM_THREADS sets lavapipe's worker threads, HEMOVK_THREADS
    the CPU backend's; HEMOVK_DEVICE picks the device (by default the CPU backend where there is no GPU)."""

    def __init__(self, exe, name, dtype, d, threads):
        env = dict(os.environ, LP_NUM_THREADS=str(threads), HEMOVK_THREADS=str(threads))
        super().__init__([exe, "--model", name, "--dtype", dtype, "--dir", str(d), "--serve"],
                         d / f"hemovk_{dtype}_t{threads}.log", env)
        self.dtype = dtype

    def profile(self, k=3):
        return dict(kv.split("=", 1) for kv in self.cmd(f"profile {k}")[1:])


def export_onnx(name, batch, d):
    """torch.onnx.export of the same module and weights (opset 16: GridSample for InternImage's DCNv3)."""
    path = d / "model.onnx"
    if not path.exists():
        net = Net(name)
        net.m.load_state_dict(st_io.load(str(d / "weights.safetensors")))
        net.eval()
        with warnings.catch_warnings():  # tracer warnings about shape arithmetic: the shapes are fixed here
            warnings.simplefilter("ignore")
            torch.onnx.export(net, make_input(name, batch), str(path), opset_version=16, input_names=["input"])
    return path


def ort_error(e):
    """The first 'Error:' line of the node log named in e, else e itself."""
    log = str(e).rsplit("(see ", 1)[-1].rstrip(")")
    try:
        return next(l.strip() for l in Path(log).read_text().splitlines() if l.startswith("Error"))
    except (OSError, StopIteration):
        return str(e)


def ort_server(name, batch, d, threads):
    path = export_onnx(name, batch, d)
    scale = "255" if name.startswith("eff") else "1"
    return Server(["node", str(HERE / "bench_models_ort.mjs"), str(path), str(threads), f"{batch},3,{SIZE},{SIZE}",
                   scale], d / f"ort_t{threads}.log")


def time_once(fn):
    t0 = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t0) / 1e6


def torch_runner(name, batch, d, device="cpu"):
    """The reference module with the prepared weights, in the faster memory format (measured here), on
    `device` ("cpu", or "cuda" on a GPU machine: each call then ends with a synchronize, so a timed call
    is the whole forward pass, as hemovk's hv_plan_run is)."""
    net = Net(name)
    net.m.load_state_dict(st_io.load(str(d / "weights.safetensors")))
    net.eval().to(device)
    x = make_input(name, batch).to(device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    best = None
    for fmt in (torch.contiguous_format, torch.channels_last):
        net = net.to(memory_format=fmt)
        xf = x.contiguous(memory_format=fmt)
        fn = (lambda n=net, v=xf: (n(v), sync()))
        fn()  # warm-up (oneDNN primitive creation)
        ms = min(time_once(fn) for _ in range(2))
        if best is None or ms < best[0]:
            best = (ms, fmt, fn)
    fmt_name = "channels_last" if best[1] == torch.channels_last else "nchw"
    net.to(memory_format=best[1])
    return best[2], fmt_name, best[0]


def run(a):
    torch.set_num_threads(a.threads)
    from bench_torch import blas_description
    blas = blas_description()
    uptime = Path("/proc/loadavg").read_text().split()[:3]
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} thread(s), {blas}; LP_NUM_THREADS={a.threads}; "
          f"load {' '.join(uptime)}", flush=True)
    rows = []
    with torch.no_grad():
        for spec in a.models:
            name, batch = parse_spec(spec)
            d = case_dir(a.cache, name, batch)
            hv, ort = [], None
            try:
                for dt in a.dtypes.split(","):
                    hv.append(Hemovk(a.bench, name, dt, d, a.threads))
                fn, fmt, t_ms = torch_runner(name, batch, d, a.torch_device)
                if a.ort:
                    try:
                        ort = ort_server(name, batch, d, a.threads)
                    except RuntimeError as e:  # e.g. an op this ORT build lacks; the model goes on without it
                        print(f"# {name}: no ONNX Runtime figures: {ort_error(e)}", flush=True)
                # a second warm-up run each, unless the first run (pipelines compiled there) took > 5 s
                first = [h.run(1)[0] if float(h.info["first_run_ms"]) < 5000 else float(h.info["first_run_ms"])
                         for h in hv]
                per_round = sum(first) + t_ms + (ort.run(1)[0] if ort else 0)
                rounds = max(a.min_rounds, min(a.max_rounds, int(a.budget * 1000 / max(per_round, 1))))
                times = {h.dtype: [] for h in hv}
                tt, to = [], []
                for _ in range(rounds):  # A B C D A B C D ...
                    for h in hv:
                        times[h.dtype] += h.run(1)
                    tt.append(time_once(fn))
                    if ort:
                        to += ort.run(1)
                t_med = statistics.median(tt)
                o_med = statistics.median(to) if to else None
                load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
                for h in hv:
                    prof = h.profile(1 if max(first) > 5000 else 3)
                    hv_med = statistics.median(times[h.dtype])
                    r = dict(model=name, batch=batch, threads=a.threads, dtype=h.dtype, rounds=rounds,
                             hemovk_ms=hv_med, hemovk_min_ms=min(times[h.dtype]), gpu_ms=float(prof["gpu_ms"]),
                             dispatches=int(prof["dispatches"]), torch_ms=t_med, torch_min_ms=min(tt),
                             torch_format=fmt, ratio=hv_med / t_med, load=load,
                             ort_ms=o_med, ort_ratio=hv_med / o_med if o_med else None,
                             ort=ort.info.get("ort") if ort else None,
                             peak_bytes=int(h.info["peak_bytes"]), weight_bytes=int(h.info["weight_bytes"]),
                             first_run_ms=float(h.info["first_run_ms"]), plan_ms=float(h.info["plan_ms"]),
                             max_rel_err=float(h.info["max_rel_err"]), device=h.info.get("device", "?"),
                             torch=f"{torch.__version__} {blas if a.torch_device == 'cpu' else a.torch_device}")
                    rows.append(r)
                    print(fmt_row(r), flush=True)
                    if a.results:
                        with open(a.results, "a") as f:
                            f.write(json.dumps(r) + "\n")
            except RuntimeError as e:
                print(f"{name:<15} {batch:>2} {a.threads:>2}  FAILED: {e}", flush=True)
            finally:
                for h in hv + ([ort] if ort else []):
                    h.close()
    return rows


HEADER = (f"{'model':<15} {'N':>2} {'thr':>3} {'dtype':<5} {'hemovk_ms':>10} {'gpu_ms':>10} {'torch_ms':>9} "
          f"{'ratio':>6} {'ort_ms':>8} {'ort_r':>6} {'disp':>5} {'peak_MiB':>8} {'wt_MiB':>7} {'1st_run_ms':>10} {'max_rel_err':>11} {'rounds':>6}")


def opt(v, w, p):
    return f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}}"


def fmt_row(r):
    return (f"{r['model']:<15} {r['batch']:>2} {r['threads']:>3} {r['dtype']:<5} {r['hemovk_ms']:10.1f} "
            f"{r['gpu_ms']:10.1f} {r['torch_ms']:9.1f} {r['ratio']:6.2f} {opt(r.get('ort_ms'), 8, 1)} "
            f"{opt(r.get('ort_ratio'), 6, 2)} {r['dispatches']:>5} "
            f"{r['peak_bytes'] / 2**20:8.1f} {r['weight_bytes'] / 2**20:7.1f} {r['first_run_ms']:10.0f} "
            f"{r['max_rel_err']:11.2e} {r['rounds']:>6}")


def table(path):
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    print(HEADER)
    for r in rows:
        print(fmt_row(r))
    loads = sorted({r["load"] for r in rows})
    if rows:
        print(f"# device: {rows[0]['device']}; torch {rows[0]['torch']}")
        orts = sorted({r["ort"] for r in rows if r.get("ort")})
        if orts:
            print(f"# onnxruntime-node {', '.join(orts)} (CPU, intra-op threads = thr, graph optimisation all)")
        print("# torch memory format per model: " + ", ".join(sorted({f"{r['model']}/{r['threads']}t={r['torch_format']}" for r in rows})))
        print(f"# load averages (1/5/15 min) after each model: {'; '.join(loads)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--cache", required=True)
    p.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    r = sub.add_parser("run")
    r.add_argument("--cache", required=True)
    r.add_argument("--bench", required=True, help="path of bench_models")
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--dtypes", default="f32,f16")
    r.add_argument("--budget", type=float, default=20.0, help="seconds of timed rounds per model")
    r.add_argument("--min-rounds", type=int, default=3)
    r.add_argument("--max-rounds", type=int, default=15)
    r.add_argument("--ort", action="store_true", help="also ONNX Runtime (bench/ort, bench_models_ort.mjs)")
    r.add_argument("--torch-device", default="cpu", help="where PyTorch runs: cpu (default), or cuda on a GPU machine")
    r.add_argument("--results")
    r.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    t = sub.add_parser("table")
    t.add_argument("file")
    a = ap.parse_args()
    if a.cmd == "prepare":
        prepare(a.cache, a.models)
    elif a.cmd == "run":
        run(a)
    else:
        table(a.file)


if __name__ == "__main__":
    main()
