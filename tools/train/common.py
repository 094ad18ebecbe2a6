"""Shared parts of hemovk's training recipes (classifier and segmenters), Debian's PyTorch on a CPU.

What every recipe needs and must do the same way:
  * the committed split (splits/wcebleedgen.tsv) and the dataset it names;
  * a run folder holding run.json (command, git commit, split sha256, hyper-parameters, machine) and
    log.jsonl (one line per epoch), so every number can be traced back to what produced it;
  * one checkpoint per epoch with everything needed to continue bit-for-bit after a kill (model,
    optimiser, scheduler, the three RNG states, the epoch), and `latest_checkpoint` to find it;
  * SWA: the equal average of the last K epochs' parameters (MODEL_SPEC §6.3);
  * export to safetensors with hemovk's tensor names (tools/hemovk_convert/safetensors_writer.py);
  * progress lines with an ETA.
Run with /usr/bin/python3 (Debian's python3-torch lives there).
"""
import datetime
import glob
import hashlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tools", "ref"))

from hemovk_convert import safetensors_writer  # noqa: E402

SPLIT_FILE = os.path.join(REPO, "splits", "wcebleedgen.tsv")
DATA_ROOT = os.path.join(REPO, "..", "shared", "data", "wcebleedgen", "WCEBleedGen")
CLASS_NAMES = ("bleeding", "non-bleeding")  # the paper's label order: index 0 is bleeding


# ---- data -----------------------------------------------------------------------------------------

def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_split(split_file=SPLIT_FILE):
    """Rows of the split file as dicts {split, class, path, sha256}, in file order."""
    with open(split_file) as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["split", "class", "path", "sha256"]:
            raise SystemExit(f"{split_file}: unexpected header {header}")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def split_rows(side, classes=CLASS_NAMES, split_file=SPLIT_FILE):
    """The rows of one side ('train' or 'val') restricted to `classes`."""
    return [r for r in read_split(split_file) if r["split"] == side and r["class"] in classes]


def load_rgb(path):
    """H×W×3 uint8 RGB of an image file (PIL; palette and grey images are converted)."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def downscale2_u8(img):
    """Exactly hemovk's (and OpenCV's) INTER_LINEAR resize at exactly 2× down, which is INTER_AREA:
    each output pixel is (a + b + c + d + 2) >> 2 of its 2×2 block (core/ops/preprocess_resize.c). The
    classifier trains on what the stage will feed it, bit for bit."""
    h, w = img.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"downscale2_u8 needs even sizes, got {w}x{h}")
    s = img.astype(np.uint16)
    s = s[0::2, 0::2] + s[1::2, 0::2] + s[0::2, 1::2] + s[1::2, 1::2] + 2
    return (s >> 2).astype(np.uint8)


# ---- runs -----------------------------------------------------------------------------------------

def git_commit():
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version()}


def start_run(run_dir, args, split_file=SPLIT_FILE):
    """Create (or reopen, on --resume) the run folder and write run.json. A resumed run keeps the first
    run.json and appends the resume's command to `resumed`, so the record says the run was interrupted."""
    os.makedirs(run_dir, exist_ok=True)
    meta_path = os.path.join(run_dir, "run.json")
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        meta.setdefault("resumed", []).append({"at": now, "command": sys.argv, "commit": git_commit()})
    else:
        meta = {"command": [sys.executable] + sys.argv, "started": now, "commit": git_commit(),
                "split_file": os.path.relpath(split_file, REPO), "split_sha256": file_sha256(split_file),
                "args": vars(args), "machine": machine()}
    write_json(meta_path, meta)
    return meta


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def log_epoch(run_dir, record):
    with open(os.path.join(run_dir, "log.jsonl"), "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def truncate_log(run_dir, last_epoch):
    """Keep only the log.jsonl records of epochs <= last_epoch (the checkpoint a resume starts from): a
    kill between an epoch's log line and its checkpoint must not leave that epoch logged twice."""
    path = os.path.join(run_dir, "log.jsonl")
    if not os.path.exists(path):
        return
    with open(path) as f:
        keep = [line for line in f if line.strip() and json.loads(line).get("epoch", 0) <= last_epoch]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(keep)
    os.replace(tmp, path)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---- checkpoints ----------------------------------------------------------------------------------

def checkpoint_path(run_dir, epoch):
    return os.path.join(run_dir, f"epoch_{epoch:03d}.pt")


def save_checkpoint(run_dir, epoch, model, optimizer, scheduler, extra=None):
    """Everything needed to continue exactly: weights, optimiser and scheduler state, RNG states."""
    state = {"epoch": epoch, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict() if scheduler is not None else None,
             "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
             "extra": extra or {}}
    path = checkpoint_path(run_dir, epoch)
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)  # a kill mid-save leaves the previous epoch's file intact
    return path


def epoch_checkpoints(run_dir):
    """Epoch checkpoints of a run, oldest first."""
    paths = glob.glob(os.path.join(run_dir, "epoch_*.pt"))
    return sorted(paths, key=lambda p: int(re.search(r"epoch_(\d+)\.pt$", p).group(1)))


def latest_checkpoint(run_dir):
    paths = epoch_checkpoints(run_dir)
    return paths[-1] if paths else None


def load_checkpoint(path, model, optimizer=None, scheduler=None):
    """Restore a checkpoint into the given objects (RNG states too); returns (epoch, extra)."""
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    return state["epoch"], state.get("extra", {})


def swa_average(paths):
    """Equal average of the floating-point tensors of N checkpoints (PyTorch AveragedModel's default
    avg_fn, MODEL_SPEC §6.3); integer buffers (num_batches_tracked) come from the last checkpoint.
    BatchNorm running statistics are averaged too here; a recipe whose model has BatchNorm recomputes
    them afterwards (update_bn) and says so."""
    if not paths:
        raise SystemExit("swa_average: no checkpoints")
    avg = None
    for i, p in enumerate(paths):
        sd = torch.load(p, map_location="cpu")["state_dict"]
        if avg is None:
            avg = {k: v.clone().double() if v.is_floating_point() else v.clone() for k, v in sd.items()}
            continue
        if sd.keys() != avg.keys():
            raise SystemExit(f"swa_average: {p} has different tensor names than {paths[0]}")
        for k, v in sd.items():
            if v.is_floating_point():
                avg[k] += (v.double() - avg[k]) / (i + 1)
            else:
                avg[k] = v.clone()
    return {k: v.float() if v.is_floating_point() else v for k, v in avg.items()}


def export_safetensors(state_dict, path, dtype="f16", metadata=None, skip=("num_batches_tracked",)):
    """Write a state dict to safetensors with its (hemovk / MMDetection / mmpretrain) names. f16 refuses
    values outside f16's range rather than saturating them to inf (DESIGN.md, Precision)."""
    out = {}
    for k, v in state_dict.items():
        if any(k.endswith(s) for s in skip):
            continue
        v = v.detach().cpu()
        if v.is_floating_point():
            if dtype == "f16":
                big = v.abs().max().item() if v.numel() else 0.0
                if big > 65504.0:
                    raise SystemExit(f"export: tensor '{k}' holds {big:g}, beyond f16's 65504: export as f32")
                v = v.half()
            else:
                v = v.float()
        out[k] = v
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    safetensors_writer.write(path, out, metadata)
    return path


# ---- pipelines -------------------------------------------------------------------------------------

def absolute_weight_paths(node, base):
    """Make the .safetensors paths of a loaded pipeline (relative to its file, folder `base`) absolute,
    so an edited copy written elsewhere still finds the weights."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "path" and isinstance(v, str) and v.endswith(".safetensors") and not os.path.isabs(v):
                node[k] = os.path.normpath(os.path.join(base, v))
            else:
                absolute_weight_paths(v, base)
    elif isinstance(node, list):
        for v in node:
            absolute_weight_paths(v, base)


# ---- progress -------------------------------------------------------------------------------------

class Progress:
    """Prints `what step/total (pct) loss … ETA hh:mm` at most every `every` seconds, flushed, so a
    background run's log shows how far it is and when it will end."""

    def __init__(self, total, what, every=30.0, done=0):
        self.total, self.what, self.every = total, what, every
        self.start, self.done0, self.last = time.time(), done, 0.0

    def update(self, done, **values):
        now = time.time()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        rate = (done - self.done0) / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        eta_s = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta != float("inf") else "?"
        vals = " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
        print(f"{self.what} {done}/{self.total} ({100.0 * done / self.total:.1f}%) {vals} ETA {eta_s}", flush=True)
