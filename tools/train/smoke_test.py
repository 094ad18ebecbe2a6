#!/usr/bin/python3
"""Smoke test of the segmenter training recipe (tools/train/train_maskrcnn.py), < 90 s on one core.

    /usr/bin/python3 tools/train/smoke_test.py [--hemovk build/hemovk] [--keep DIR]

On 4 bleeding train frames with a tiny ConvNeXt Mask R-CNN (and one step of a tiny InternImage one):
  1. the augmentations keep masks and boxes together (flips / rot90 of the label map vs of the boxes;
     --augment 2's zoom-in and colour jitter: tight boxes, instances numbered 1..n, blood stays red);
  2. the loss falls (mean loss of the last epoch < 0.8 × the first);
  3. a run SIGKILLed after its first checkpoint and continued with --resume ends bit-identical (weights,
     optimiser state, per-epoch losses) to the uninterrupted run;
  4. SWA export writes safetensors whose names and shapes are the model's (MMDetection names) and which
     load back into it; with --hemovk, `hemovk run` loads the ConvNeXt (f32) and InternImage (f16) files
     and its detections match PyTorch's (box IoU >= 0.99; PyTorch runs the f16-rounded weights) on val
     frames, at score_thr 0 (tiny models score low);
  5. --init-from starts a new run from exported weights (their exact values; refused for another width;
     other anchor scales refused by name unless --init-skip names the RPN's output convs).
Exit 0 when all pass, 1 otherwise, with one line per check.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# One BLAS thread unless told otherwise (before numpy/torch load it): results then do not depend on
# the machine's core count, and a resumed run is bit-identical to an uninterrupted one.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import common  # noqa: E402
import st_io  # noqa: E402
import train_maskrcnn as T  # noqa: E402

TINY = ["--arch", "convnext", "--depths", "1,1,1,1", "--dims", "8,16,32,64", "--fpn", "16", "--fc", "32",
        "--max-frames", "4", "--batch", "2", "--lr", "2e-3", "--warmup-iters", "2", "--steps", "",
        "--augment", "1", "--seed", "3", "--progress-every", "1000"]
EPOCHS = 6
FAILS = []


def report(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        FAILS.append(name)


def check_augment():
    rng = np.random.default_rng(0)
    lab = np.zeros((40, 60), np.uint8)
    lab[3:9, 5:20] = 1
    lab[20:35, 40:42] = 2
    img = np.stack([lab * 10] * 3, -1)
    ok = True
    for _ in range(16):
        im2, lab2 = T.augment(img, lab, rng)
        b, m = T.targets_of(lab2)
        ok &= bool((im2[..., 0] == lab2 * 10).all()) and len(b) == 2
        for k in range(2):  # each box is tight around its mask
            ys, xs = np.nonzero(m[k].numpy())
            ok &= b[k].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    report("augment keeps image, masks and boxes together", ok)


def check_augment_zoom_colour():
    """--augment 2 on a 224 frame: a red instance on a grey background, and one at the corner that a zoom
    can push out of the frame."""
    rng = np.random.default_rng(1)
    lab = np.zeros((224, 224), np.uint8)
    lab[2:10, 2:10] = 1
    lab[80:160, 60:140] = 2
    img = np.full((224, 224, 3), 90, np.uint8)
    img[lab > 0] = (200, 30, 40)
    ok, zoomed, jittered, dropped = True, 0, 0, 0
    for _ in range(32):
        im2, lab2 = T.augment_zoom_colour(img, lab, rng)
        n = int(lab2.max())
        ok &= im2.shape == img.shape and im2.dtype == np.uint8 and lab2.shape == lab.shape
        ok &= sorted(set(np.unique(lab2).tolist()) - {0}) == list(range(1, n + 1)) and n >= 1
        b, m = T.targets_of(lab2)
        for k in range(n):
            ys, xs = np.nonzero(m[k].numpy())
            ok &= b[k].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        big = max(range(1, n + 1), key=lambda i: int((lab2 == i).sum()))
        inner = np.nonzero(lab2 == big)
        r, g, bl = (im2[..., c][inner].astype(int) for c in range(3))
        # red stays red (no hue change); the mask's edge pixels are bilinear blends with the grey
        ok &= bool((r > g + 30).all() and (r > bl + 30).all() and np.median(r - g) > 100)
        zoomed += int((lab2 == big).sum() > 1.01 * int((lab == 2).sum()))
        jittered += int(abs(int(im2[200, 200, 0]) - 90) > 1 and (lab2[200, 200] == 0))
        dropped += int(n == 1)
    ok &= zoomed > 4 and jittered > 4 and dropped > 0
    report("augment 2 keeps masks and boxes together, red stays red", ok,
           f"{zoomed} zoomed, {jittered} colour-jittered, {dropped} lost the corner instance of 32")


def losses_of(run):
    with open(os.path.join(run, "log.jsonl")) as f:
        return [json.loads(line) for line in f]


def train_cmd(run, extra=()):
    return [sys.executable, os.path.join(HERE, "train_maskrcnn.py"), "train", "--run-dir", run, *extra]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hemovk", help="hemovk binary: also check that it loads the export and agrees with PyTorch")
    ap.add_argument("--keep", help="work in this folder and keep it")
    a = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    work = a.keep or tempfile.mkdtemp(prefix="hv-train-smoke-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    try:
        check_augment()
        check_augment_zoom_colour()

        # uninterrupted run, in this process
        ref = os.path.join(work, "ref")
        shutil.rmtree(ref, ignore_errors=True)
        T.main(["train", "--run-dir", ref, "--epochs", str(EPOCHS), *TINY])
        log = losses_of(ref)
        first, last = log[0]["loss"], log[-1]["loss"]
        report("loss falls", last < 0.8 * first,
               "epoch means " + " ".join(f"{r['loss']:.3f}" for r in log))

        # killed after the first checkpoint, then resumed
        kil = os.path.join(work, "killed")
        shutil.rmtree(kil, ignore_errors=True)
        p = subprocess.Popen(train_cmd(kil, ["--epochs", str(EPOCHS), *TINY]), env=env, stdout=subprocess.DEVNULL)
        while p.poll() is None and not common.epoch_checkpoints(kil):
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.wait()
        at = len(common.epoch_checkpoints(kil))
        if at >= EPOCHS:
            report("resume after a kill", False, "the run finished before the kill; nothing was tested")
        else:
            subprocess.run(train_cmd(kil, ["--resume"]), env=env, check=True, stdout=subprocess.DEVNULL)
            s1 = torch.load(common.checkpoint_path(ref, EPOCHS), map_location="cpu")
            s2 = torch.load(common.checkpoint_path(kil, EPOCHS), map_location="cpu")
            same_w = all(torch.equal(s1["state_dict"][k], s2["state_dict"][k]) for k in s1["state_dict"])
            o1, o2 = s1["optimizer"]["state"], s2["optimizer"]["state"]
            same_o = all(torch.equal(o1[i][n], o2[i][n]) for i in o1 for n in ("exp_avg", "exp_avg_sq"))
            l1 = [r["loss"] for r in losses_of(ref)]
            l2 = [r["loss"] for r in losses_of(kil)]
            l2 = l2[:at] + l2[-(EPOCHS - at):]  # epochs logged after the kill's last checkpoint were redone
            report("resume after a kill is exact", same_w and same_o and l1 == l2,
                   f"killed with {at} of {EPOCHS} epochs saved; weights {'=' if same_w else '!='}, "
                   f"optimiser {'=' if same_o else '!='}, losses {'=' if l1 == l2 else '!='}")

        # SWA export
        out = os.path.join(work, "tiny.safetensors")
        T.main(["export", "--run-dir", ref, "--swa", "2", "--out", out])
        model = T.build_model(T.run_args(ref))
        sd = st_io.load(out)
        want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        got = {k: tuple(v.shape) for k, v in sd.items()}
        avg = common.swa_average(common.epoch_checkpoints(ref)[-2:])
        same = want == got and all(torch.equal(sd[k].float(), avg[k].float()) for k in avg)
        heads = all(any(k.startswith(p) for k in got) for p in ("backbone.downsample_layers.0.0", "neck.lateral_convs.0.conv",
                                                                   "rpn_head.rpn_cls", "roi_head.bbox_head.shared_fcs.0",
                                                                   "roi_head.mask_head.conv_logits"))
        report("SWA export: MMDetection names and shapes, equal to the average", same and heads,
               f"{len(got)} tensors")

        # a further cycle from exported weights (--init-from): the model starts from exactly the file's
        # values, its first epoch is already at the trained run's loss level, and weights of another
        # architecture are refused by name
        m_init = T.build_model(T.run_args(ref))
        n = T.load_weights(m_init, out)
        same = all(torch.equal(v.float(), avg[k].float()) for k, v in m_init.state_dict().items() if k in avg)
        cyc = os.path.join(work, "cycle")
        shutil.rmtree(cyc, ignore_errors=True)
        T.main(["train", "--run-dir", cyc, "--epochs", "1", *TINY, "--init-from", out])
        l_cyc = losses_of(cyc)[0]["loss"]
        refused = ""
        try:
            T.load_weights(T.build_model(T.argparse.Namespace(**{**vars(T.run_args(ref)), "fpn": 8})), out)
        except SystemExit as e:
            refused = str(e)
        report("--init-from starts a new cycle from exported weights", same and n == len(got) and l_cyc < 0.8 * first
               and "shape" in refused and "neck." in refused,
               f"{n} tensors, first-epoch loss {l_cyc:.3f} (from scratch {first:.3f}); other widths: {refused[:90]}")
        # other anchor scales change the RPN's output convs: refused by name, loaded with --init-skip
        m_anc = T.build_model(T.argparse.Namespace(**{**vars(T.run_args(ref)), "anchor_scales": "4,5.656854"}))
        refused = ""
        try:
            T.load_weights(m_anc, out)
        except SystemExit as e:
            refused = str(e)
        n_anc = T.load_weights(m_anc, out, ["rpn_head.rpn_cls", "rpn_head.rpn_reg"])
        kept = all(torch.equal(v.float(), avg[k].float()) for k, v in m_anc.state_dict().items()
                   if k in avg and not k.startswith(("rpn_head.rpn_cls", "rpn_head.rpn_reg")))
        # and the command line: one epoch with two anchor scales per cell (as the shipped segmenters), exported
        anc = os.path.join(work, "anchors")
        shutil.rmtree(anc, ignore_errors=True)
        T.main(["train", "--run-dir", anc, "--epochs", "1", *TINY, "--anchor-scales", "4,5.656854", "--init-from", out,
                "--init-skip", "rpn_head.rpn_cls,rpn_head.rpn_reg"])
        out_anc = os.path.join(work, "tiny-anchors.safetensors")
        T.main(["export", "--run-dir", anc, "--out", out_anc])
        report("--init-from with other anchor scales: refused by name, loaded with --init-skip",
               "rpn_head.rpn_cls" in refused and n_anc == n - 4 and kept and
               tuple(m_anc.rpn_head.rpn_cls.weight.shape[:1]) == (6,), f"{n_anc} tensors; {refused[:80]}")

        # one step of a tiny InternImage (DCNv3 through grid_sample): finite losses and gradients everywhere
        a2 = T.argparse.Namespace(arch="internimage", channels=8, depths="1,1,1,1", groups="1,2,4,8",
                                  offset_scale=2.0, post_norm=1, fpn=16, fc=32)
        m2 = T.build_model(a2)
        trn = T.load_side("train", "", limit=2)
        x = torch.stack([T.to_tensor(i) for i in trn["images"][:2]])
        g = [T.targets_of(lb) for lb in trn["labels"][:2]]
        ls, _ = T.Trainer(m2).losses(x, g, torch.Generator().manual_seed(0))
        sum(ls.values()).backward()
        nograd = [n for n, p in m2.named_parameters() if p.grad is None]
        fin = all(torch.isfinite(v) for v in ls.values())
        report("InternImage step: finite losses, every parameter gets a gradient", fin and not nograd,
               f"no grad: {nograd[:4]}" if nograd else "")

        # a tiny InternImage run of one epoch, exported as f16 (hemovk's other weight type)
        ii = os.path.join(work, "ii")
        shutil.rmtree(ii, ignore_errors=True)
        T.main(["train", "--run-dir", ii, "--epochs", "1", *TINY, "--arch", "internimage", "--channels", "8",
                "--groups", "1,2,4,8"])
        out_ii = os.path.join(work, "tiny-ii.safetensors")
        T.main(["export", "--run-dir", ii, "--out", out_ii, "--dtype", "f16"])

        if a.hemovk:
            import check_parity
            ok = check_parity.check(ref, out, a.hemovk, frames=2, min_score=0.0, out=os.path.join(work, "parity"),
                                    score_thr=0.0)
            report("hemovk loads the ConvNeXt export (f32) and matches PyTorch (box IoU >= 0.99)", ok)
            ok = check_parity.check(ii, out_ii, a.hemovk, frames=2, min_score=0.0, out=os.path.join(work, "parity-ii"),
                                    score_thr=0.0)
            report("hemovk loads the InternImage export (f16) and matches PyTorch (box IoU >= 0.99)", ok)
            ok = check_parity.check(anc, out_anc, a.hemovk, frames=2, min_score=0.0,
                                    out=os.path.join(work, "parity-anchors"), score_thr=0.0)
            report("hemovk reads the anchor scales from the export's YAML and matches PyTorch (box IoU >= 0.99)", ok)
    except Exception as e:  # noqa: BLE001 - any error is a failed smoke test, with its message
        import traceback
        traceback.print_exc()
        report("smoke test ran", False, f"{type(e).__name__}: {e}")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    dt = time.time() - t0
    print(f"{'FAILED: ' + ', '.join(FAILS) if FAILS else 'all passed'} ({dt:.0f} s)", flush=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
