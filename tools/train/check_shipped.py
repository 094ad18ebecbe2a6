#!/usr/bin/python3
"""hemovk equals PyTorch on the shipped demo weights (issue 11): tests/train/test_shipped_parity.c runs this.

For the pipeline's (default pipelines/two-stage-demo.yaml) classifier and each segmenter, the PyTorch
model of the training recipe (tools/ref modules, weights read back from the shipped .safetensors) and
`hemovk run` see the same validation frames:
  * classifier, as the pipeline runs it (TTA included: the mean of the softmax of the frame and of its
    mirror image at the stage's 112×112 input): probabilities within --prob-tol (1e-4);
  * each segmenter alone, without TTA (the recipe's PyTorch model has no TTA merge; hemovk's merges are
    tested on their own): every detection scoring >= --min-score (0.05, every detection the paper's test_cfg keeps) on either side has a partner on the
    other with box IoU >= 0.99 and mask IoU >= 0.99 (masks pasted at the paper's 0.2).
Architecture parameters come from the pipeline itself, so the check follows whatever the YAML ships.
Exit 0 when everything matches, 1 otherwise (one line per frame and model), 77 when the weights are absent.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import st_io  # noqa: E402  (tools/ref)
import train_classifier as TC  # noqa: E402
import train_maskrcnn as T  # noqa: E402


def weights_path(params, base):
    p = params["weights"]["params"]["path"]
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))


def run_hemovk(hemovk, pipe, frames, out):
    os.makedirs(out, exist_ok=True)
    yml = os.path.join(out, "pipeline.yaml")
    with open(yml, "w") as f:
        yaml.safe_dump(pipe, f, sort_keys=False)
    lst = os.path.join(out, "frames.txt")
    with open(lst, "w") as f:
        f.write("".join(p + "\n" for p in frames))
    res = os.path.join(out, "run")
    p = subprocess.run([hemovk, "run", yml, "--input", lst, "--output", res], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: hemovk run {yml} exited {p.returncode}:\n{p.stderr[-3000:]}")
    recs = {}
    with open(os.path.join(res, "results.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            recs[os.path.abspath(o["path"])] = o
    return recs


def only(pipe, st):
    p = copy.deepcopy(pipe)
    st = copy.deepcopy(st)
    st.pop("when", None)
    st.pop("inputs", None)
    p["stages"] = [st]
    p["outputs"] = [{"id": "jsonl", "component": "writer.jsonl", "path": "results.jsonl"}]
    return p


def check_classifier(a, pipe, base, frames, out):
    st = next(s for s in pipe["stages"] if s["id"] == "classify")
    inner = st["params"]["stage"]["params"] if st["component"] == "tta" else st["params"]
    if st["component"] == "tta":
        transforms = st["params"].get("transforms", ["identity"])
    else:  # the classifier's own tta (copies made on the device); absent: none
        transforms = inner.get("tta", {}).get("transforms", ["identity", "hflip"]) if "tta" in inner else ["identity"]
    bb = inner["backbone"]["params"]
    if inner.get("size") != [112, 112] or inner.get("resize") != "stretch" or inner.get("preprocess") != "imagenet":
        sys.exit("FAIL: check_shipped knows the recipe's 112x112 stretch + imagenet input only")
    if any(t not in ("identity", "hflip") for t in transforms):
        sys.exit(f"FAIL: check_shipped reproduces identity/hflip TTA only, not {transforms}")
    w = weights_path(inner, base)
    if not os.path.exists(w):
        print(f"SKIP: {w} is absent")
        sys.exit(77)
    args = TC.parse_args(["--run", out, "--arch", bb.get("arch", "b0"), "--width", str(bb["width"]),
                          "--depth", str(bb["depth"])])
    model = TC.build_model(args)
    model.load_state_dict({k: v.float() for k, v in st_io.load(w).items()}, strict=False)
    model.eval()
    u8 = np.stack([common.downscale2_u8(common.load_rgb(p)) for p in frames])
    with torch.no_grad():
        views = [u8 if t == "identity" else np.ascontiguousarray(u8[:, :, ::-1]) for t in transforms]
        probs = sum(F.softmax(model(TC.to_tensor(v))[1], dim=1) for v in views) / len(views)
    recs = run_hemovk(a.hemovk, only(pipe, st), frames, os.path.join(out, "classifier"))
    ok = True
    for p, pt in zip(frames, probs.numpy()):
        hv = np.array(recs[os.path.abspath(p)]["classification"]["probs"])
        d = float(np.abs(hv - pt).max())
        good = d <= a.prob_tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} classifier {os.path.relpath(p, common.DATA_ROOT)}: hemovk {hv.round(6)} "
              f"PyTorch {pt.round(6)} |d| {d:.2g}", flush=True)
    return ok


def rle_decode(m):
    h, w = m["size"]
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in m["counts"]:
        flat[pos:pos + c] = val
        pos += c
        val ^= 1
    return flat.reshape(w, h).T  # COCO RLE runs down the columns


def iou(a, b):
    u = np.logical_or(a, b).sum()
    return 1.0 if u == 0 else float(np.logical_and(a, b).sum() / u)


def box_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def pair(src, dst, min_score):
    """Worst (box IoU, mask IoU) over the detections of `src` scoring >= min_score, each with its best
    box partner in `dst` ((0, 0) when one has none)."""
    worst = (1.0, 1.0)
    for b, s, m in src:
        if s < min_score:
            continue
        best = max(((box_iou(b, b2), m2) for b2, _, m2 in dst), key=lambda t: t[0], default=(0.0, None))
        mi = iou(m, best[1]) if best[1] is not None else 0.0
        worst = (min(worst[0], best[0]), min(worst[1], mi))
    return worst


def segmenter_args(params):
    bb = params["backbone"]
    p = bb["params"]
    ns = {"arch": bb["component"], "fpn": params.get("fpn_channels", 256), "fc": params.get("fc_channels", 1024),
          "depths": ",".join(map(str, p["depths"])),
          "anchor_scales": ",".join(repr(float(v)) for v in params.get("anchor_scales", [8]))}
    if bb["component"] == "convnext":
        ns.update(dims=",".join(map(str, p["dims"])), downsample_eps=p.get("downsample_eps", 1e-5))
    else:
        ns.update(channels=p["channels"], groups=",".join(map(str, p["groups"])),
                  offset_scale=p.get("offset_scale", 1.0), post_norm=int(bool(p.get("post_norm", False))))
    return T.argparse.Namespace(**ns)


def test_cfg_of(params):
    """The recipe's TEST_CFG with the stage's own test_cfg keys (the YAML may override the paper's)."""
    cfg = dict(T.TEST_CFG)
    tc = params.get("test_cfg", {})
    rpn, rcnn = tc.get("rpn", {}), tc.get("rcnn", {})
    for k, v in (("nms_pre", rpn.get("nms_pre")), ("rpn_iou", rpn.get("iou_threshold")),
                 ("rpn_max", rpn.get("max_per_img")), ("score_thr", rcnn.get("score_thr")),
                 ("rcnn_iou", rcnn.get("iou_threshold")), ("max_per_img", rcnn.get("max_per_img")),
                 ("mask_thr", rcnn.get("mask_thr_binary"))):
        if v is not None:
            cfg[k] = v
    return cfg


def check_segmenter(a, pipe, base, st, frames, out):
    params = st["params"]
    w = weights_path(params, base)
    if not os.path.exists(w):
        print(f"SKIP: {w} is absent")
        sys.exit(77)
    model = T.build_model(segmenter_args(params))
    model.load_state_dict({k: v.float() for k, v in st_io.load(w).items()})
    model.eval()
    cfg = test_cfg_of(params)
    s = copy.deepcopy(st)
    s["params"].pop("tta", None)
    s["params"].pop("cam", None)
    recs = run_hemovk(a.hemovk, only(pipe, s), frames, os.path.join(out, st["id"]))
    ok = True
    for p in frames:
        img = common.load_rgb(p)
        H, W = img.shape[:2]
        with torch.no_grad():
            o = model.forward_stages(T.to_tensor(img)[None], (H, W), (H, W), cfg=cfg)
        dets = o["dets"].numpy()
        masks = o["mask_pasted"].numpy() >= cfg["mask_thr"] if len(dets) else np.zeros((0, H, W), bool)
        pt = [(d[:4].tolist(), float(d[4]), m) for d, m in zip(dets, masks)]
        hv = [(d["box"], d["score"], rle_decode(d["mask"]).astype(bool)) for d in recs[os.path.abspath(p)]["detections"]]
        w1, w2 = pair(pt, hv, a.min_score), pair(hv, pt, a.min_score)
        good = min(w1[0], w2[0]) >= a.iou and min(w1[1], w2[1]) >= a.iou
        ok &= good
        n_pt = sum(1 for x in pt if x[1] >= a.min_score)
        n_hv = sum(1 for x in hv if x[1] >= a.min_score)
        print(f"{'ok  ' if good else 'FAIL'} {st['id']} {os.path.relpath(p, common.DATA_ROOT)}: PyTorch {n_pt}, "
              f"hemovk {n_hv} detections >= {a.min_score}; worst box IoU {min(w1[0], w2[0]):.4f}, "
              f"mask IoU {min(w1[1], w2[1]):.4f}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hemovk", required=True)
    ap.add_argument("--pipeline", default=os.path.join(common.REPO, "pipelines", "two-stage-demo.yaml"))
    ap.add_argument("--frames", type=int, default=2, help="validation frames per class")
    ap.add_argument("--out", default=None)
    ap.add_argument("--prob-tol", type=float, default=1e-4)
    ap.add_argument("--iou", type=float, default=0.99)
    ap.add_argument("--min-score", type=float, default=0.05, help="the paper's rcnn score_thr: every kept detection")
    ap.add_argument("--only", default="classifier,segmenters")
    a = ap.parse_args()
    torch.set_num_threads(1)
    out = a.out or tempfile.mkdtemp(prefix="hv-shipped-")
    with open(a.pipeline) as f:
        pipe = yaml.safe_load(f)
    base = os.path.dirname(os.path.abspath(a.pipeline))
    common.absolute_weight_paths(pipe, base)
    val = common.split_rows("val")
    frames = [os.path.abspath(os.path.join(common.DATA_ROOT, r["path"]))
              for c in common.CLASS_NAMES for r in [x for x in val if x["class"] == c][:a.frames]]
    ok = True
    if "classifier" in a.only:
        ok &= check_classifier(a, pipe, base, frames, out)
    if "segmenters" in a.only:
        bleeding = frames[:a.frames]
        for st in pipe["stages"]:
            if st["component"] == "segmenter":
                ok &= check_segmenter(a, pipe, base, st, bleeding, out)
    print("PASS" if ok else "FAIL", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
