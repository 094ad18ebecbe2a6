#!/usr/bin/python3
"""Check that hemovk loads exported segmenter weights and detects what the PyTorch model detects.

    /usr/bin/python3 tools/train/check_parity.py --run-dir _train/seg-convnext \
        --weights _train/seg-convnext/maskrcnn-convnext-swa3.safetensors --hemovk build/hemovk [--frames 3]

Runs the exported weights (read back from the .safetensors, so the file itself is what is checked) through
tools/ref's model (paper test_cfg, no TTA) and through `hemovk run` with the YAML written beside them by
`train_maskrcnn.py export`, on the first --frames bleeding val frames; every PyTorch detection scoring at
least --min-score must have a hemovk detection with box IoU >= --iou (0.99) and vice versa. Exit 0/1.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import st_io  # noqa: E402  (tools/ref)
import train_maskrcnn as T  # noqa: E402


def match(a, b, iou):
    """Fraction of rows of a (boxes [n,4]) with an IoU >= iou partner in b."""
    if len(a) == 0:
        return 1.0, []
    if len(b) == 0:
        return 0.0, [0.0] * len(a)
    best = torchvision.ops.box_iou(a, b).max(1).values
    return float((best >= iou).float().mean()), best.tolist()


def check(run_dir, weights, hemovk, frames=3, min_score=0.3, iou=0.99, yaml_path=None, out=None, quiet=False,
          score_thr=None):
    """score_thr: run both sides with this rcnn score threshold (a barely trained model scores below the
    paper's 0.05) through a YAML written into `out`."""
    r = T.run_args(run_dir)
    model = T.build_model(r)
    sd = {k: v.float() for k, v in st_io.load(weights).items()}
    missing = set(model.state_dict()) - set(sd)
    extra = set(sd) - set(model.state_dict())
    if missing or extra:
        print(f"FAIL: tensor names differ: missing {sorted(missing)[:5]} extra {sorted(extra)[:5]}")
        return False
    model.load_state_dict(sd)
    rows = [x for x in common.split_rows("val", ("bleeding",))][:frames]
    out = out or tempfile.mkdtemp(prefix="hv-parity-")
    os.makedirs(out, exist_ok=True)
    lst = os.path.join(out, "frames.txt")
    with open(lst, "w") as f:
        for x in rows:
            f.write(os.path.join(common.DATA_ROOT, x["path"]) + "\n")
    cfg = dict(T.TEST_CFG)
    if score_thr is not None:
        cfg["score_thr"] = score_thr
        yaml_path = os.path.join(out, "segmenter.yaml")
        T.write_pipeline(yaml_path, os.path.abspath(weights), T.hemovk_params(r), f"maskrcnn-{r.arch}", score_thr)
    yaml_path = yaml_path or weights.replace(".safetensors", ".yaml")
    res_dir = os.path.join(out, "hemovk")
    cmd = [hemovk, "run", yaml_path, "--input", lst, "--output", res_dir, "--progress", "none"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        return False
    hv = {}
    with open(os.path.join(res_dir, "results.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            hv[os.path.abspath(o["path"])] = o
    ok, compared = True, 0
    for x in rows:
        path = os.path.abspath(os.path.join(common.DATA_ROOT, x["path"]))
        img = common.load_rgb(path)
        dets = T.predict(model, img, cfg)
        o = hv.get(path)
        if o is None:
            print(f"FAIL: {x['path']}: no hemovk record")
            ok = False
            continue
        hd = torch.tensor([d["box"] + [d["score"]] for d in o["detections"]]).reshape(-1, 5)
        pt = dets[dets[:, 4] >= min_score]
        hvs = hd[hd[:, 4] >= min_score]
        compared += len(pt)
        f1, ious1 = match(pt[:, :4], hd[:, :4], iou)
        f2, ious2 = match(hvs[:, :4], dets[:, :4], iou)
        good = f1 == 1.0 and f2 == 1.0
        ok &= good
        if not quiet or not good:
            print(f"{'ok  ' if good else 'FAIL'} {x['path']}: pytorch {len(dets)} dets ({len(pt)} >= {min_score}), "
                  f"hemovk {len(hd)} ({len(hvs)} >= {min_score}); matched at IoU>={iou}: {f1:.2f} / {f2:.2f}; "
                  f"min IoU {min(ious1 + ious2, default=1.0):.4f}; top scores pt "
                  f"{[round(float(s), 3) for s in dets[:3, 4]]} hv {[round(float(s), 3) for s in hd[:3, 4]]}")
    if compared == 0:  # a comparison of nothing proves nothing
        print(f"FAIL: no PyTorch detection scores >= {min_score} on {len(rows)} frames: nothing was compared")
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--yaml", help="segmenter pipeline (default: the export's .yaml beside the weights)")
    ap.add_argument("--hemovk", default=os.path.join(common.REPO, "build", "hemovk"))
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--min-score", type=float, default=0.3)
    ap.add_argument("--iou", type=float, default=0.99)
    ap.add_argument("--score-thr", type=float, help="rcnn score threshold of both sides (default the paper's 0.05)")
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(1)
    ok = check(a.run_dir, a.weights, a.hemovk, a.frames, a.min_score, a.iou, a.yaml, a.out, score_thr=a.score_thr)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
