#!/usr/bin/python3
"""Measure the shipped demo models with `hemovk eval` on the committed validation split, with and
without TTA, with and without SWA, each segmenter alone and the ensemble (issue 11's table).

Every variant is the shipped pipeline (pipelines/two-stage-demo.yaml) edited, never a second copy:
  cls       its classifier stage alone over the 525 validation frames (TTA as shipped, or the wrapped
            classifier without TTA; SWA weights as shipped, or the last epoch's with --last)
  seg       its two segmenters and the ensemble without the classifier, over the 262 bleeding validation
            frames (TTA as shipped — the paper's mmdet flip TTA where the shipped segmenter has none — or
            off; SWA or last); scored per model tag and for the ensemble; where the shipped pipeline sets
            its own segmenter test_cfg or a clean ensemble, once more at the paper's (`seg-notta-swa-papercfg`:
            the schema's test_cfg defaults and the authors' ensemble code), to measure what that choice gives
  pipeline  the shipped pipeline as is over the 525 validation frames (classification, then detection
            on the frames the classifier flagged: what a user gets)
Each run is `hemovk run` then `hemovk eval`; numbers come only from the metrics.json files, and the
table (Markdown) goes to OUT/evaluation.md with every command in OUT/commands.txt.

    /usr/bin/python3 tools/train/evaluate_models.py --hemovk build/hemovk --out _train/eval \
        --last classify=_train/cls_b0w05/last.safetensors \
        --last seg_convnext=_train/seg-convnext/last.safetensors ...
"""
import argparse
import copy
import json
import os
import shlex
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def sh(cmd, log):
    log.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
    log.flush()
    t = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode not in (0,):
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-3000:]}")
    return time.time() - t


def write_split(path, keep):
    """The committed split with the validation rows that `keep(row)` refuses moved to train, so
    `--split val` scores only the kept ones (the file must still name every frame of the release)."""
    rows = common.read_split()
    with open(path, "w") as f:
        f.write("split\tclass\tpath\tsha256\n")
        for r in rows:
            side = r["split"] if r["split"] != "val" or keep(r) else "train"
            f.write("\t".join([side, r["class"], r["path"], r["sha256"]]) + "\n")


def write_list(path, rows, data):
    with open(path, "w") as f:
        for r in rows:
            f.write(os.path.abspath(os.path.join(data, r["path"])) + "\n")


def stage(p, sid):
    return next(s for s in p["stages"] if s["id"] == sid)


def set_weights(st, path):
    """Point a stage's weights (the classifier inside a tta, or a segmenter) at `path`."""
    params = st["params"]["stage"]["params"] if st["component"] == "tta" else st["params"]
    params["weights"] = {"loader": "safetensors", "params": {"path": os.path.abspath(path)}}


# The paper's detection TTA (mmdet flip TTA), measured in the with-TTA rows of a segmenter the shipped
# pipeline runs without TTA.
PAPER_SEG_TTA = {"transforms": ["identity", "hflip"], "merge": "mmdet"}


def variant(base, kind, tta, last, paper_cfg=False):
    """The shipped pipeline cut to `kind`, with or without TTA, with the last-epoch weights of `last`;
    paper_cfg: the segmenters at the paper's test_cfg (their schema defaults) and the ensemble at the
    authors' code (paper_compatible), whatever the shipped pipeline sets."""
    p = copy.deepcopy(base)
    p["outputs"] = [{"id": "jsonl", "component": "writer.jsonl", "path": "results.jsonl"}]
    cls = stage(p, "classify")
    segs = [s for s in p["stages"] if s["component"] == "segmenter"]
    ens = [s for s in p["stages"] if s["component"] == "ensemble"]
    if kind == "cls":
        p["stages"] = [cls]
    elif kind == "seg":
        p["stages"] = segs + ens
        for s in p["stages"]:
            s.pop("when", None)
            if s.get("inputs") == ["classify"]:
                s.pop("inputs")
            s["params"].pop("cam", None)
            if s["component"] == "ensemble":
                s["params"]["keep_inputs"] = True  # one run scores each segmenter and the fusion
    else:
        p["stages"] = [s for s in p["stages"] if s["component"] != "cam"]
    for s in p["stages"]:
        if paper_cfg and s["component"] == "segmenter":
            s["params"].pop("test_cfg", None)
        if paper_cfg and s["component"] == "ensemble":
            s["params"]["paper_compatible"] = True
            s["params"].pop("iou_thr", None)
        if s["id"] in last:
            set_weights(s, last[s["id"]])
        if not tta:
            if s["component"] == "tta":
                inner = s["params"]["stage"]
                s["component"] = inner["component"]
                s["params"] = inner["params"]
            elif s["component"] in ("segmenter", "classifier"):
                s["params"].pop("tta", None)
        elif kind == "seg" and s["component"] == "segmenter" and "tta" not in s["params"]:
            # the segmenters' with-TTA rows: the paper's TTA (no YAML aliases); the pipeline row stays as shipped
            s["params"]["tta"] = copy.deepcopy(PAPER_SEG_TTA)
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hemovk", default=os.path.join(common.REPO, "build", "hemovk"))
    ap.add_argument("--pipeline", default=os.path.join(common.REPO, "pipelines", "two-stage-demo.yaml"))
    ap.add_argument("--data", default=common.DATA_ROOT)
    ap.add_argument("--out", required=True)
    ap.add_argument("--last", action="append", default=[], metavar="STAGE=WEIGHTS",
                    help="the last epoch's weights of a stage (for the without-SWA rows)")
    ap.add_argument("--only", default="cls,seg,pipeline", help="which groups to run")
    ap.add_argument("--reuse", action="store_true", help="score finished runs again instead of rerunning them")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    last = dict(x.split("=", 1) for x in a.last)
    with open(a.pipeline) as f:
        base = yaml.safe_load(f)
    common.absolute_weight_paths(base, os.path.dirname(os.path.abspath(a.pipeline)))
    log = open(os.path.join(a.out, "commands.txt"), "a")

    rows = common.read_split()
    val = [r for r in rows if r["split"] == "val"]
    write_list(os.path.join(a.out, "val.txt"), val, a.data)
    write_list(os.path.join(a.out, "val-bleeding.txt"), [r for r in val if r["class"] == "bleeding"], a.data)
    write_split(os.path.join(a.out, "split-val-bleeding.tsv"), lambda r: r["class"] == "bleeding")

    results = []
    groups = a.only.split(",")
    plan = []
    if "cls" in groups:
        plan += [("cls", tta, lst, False) for lst in (False, True) for tta in (True, False)
                 if not lst or "classify" in last]
    if "seg" in groups:
        segs = [s["id"] for s in base["stages"] if s["component"] == "segmenter"]
        plan += [("seg", True, False, False), ("seg", False, False, False)]
        if all(s in last for s in segs):
            plan += [("seg", False, True, False)]
        # the shipped weights at the paper's test_cfg and ensemble code, where the pipeline sets its own
        seg_params = [s["params"] for s in base["stages"] if s["component"] in ("segmenter", "ensemble")]
        if any("test_cfg" in q or q.get("paper_compatible") is False for q in seg_params):
            plan += [("seg", False, False, True)]
    if "pipeline" in groups:
        plan += [("pipeline", True, False, False)]
    for kind, tta, lst, paper in plan:
        name = f"{kind}-{'tta' if tta else 'notta'}-{'last' if lst else 'swa'}" + ("-papercfg" if paper else "")
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        yml = os.path.join(d, "pipeline.yaml")
        with open(yml, "w") as f:
            yaml.safe_dump(variant(base, kind, tta, last if lst else {}, paper), f, sort_keys=False)
        frames = os.path.join(a.out, "val-bleeding.txt" if kind == "seg" else "val.txt")
        run_dir = os.path.join(d, "run")
        done = os.path.join(run_dir, "summary.json")
        if a.reuse and os.path.exists(done):  # a finished run of an interrupted evaluation
            secs = json.load(open(os.path.join(d, "seconds.json")))["seconds"]
        else:
            secs = sh([a.hemovk, "run", yml, "--input", frames, "--output", run_dir], log)
            with open(os.path.join(d, "seconds.json"), "w") as f:
                json.dump({"seconds": secs}, f)
        n_frames = sum(1 for _ in open(frames))
        split_args = ["--split", "val"] + (["--split-file", os.path.join(a.out, "split-val-bleeding.tsv")]
                                           if kind == "seg" else [])
        models = [None]
        if kind == "seg":
            models = [s["params"]["model"] for s in base["stages"] if s["component"] == "segmenter"] + ["ensemble"]
        for m in models:
            ev = os.path.join(d, "eval-" + (m or "default"))
            cmd = [a.hemovk, "eval", "--ground-truth", a.data, "--results", run_dir, "--output", ev] + split_args
            if m:
                cmd += ["--model", m]
            if kind == "cls":
                cmd += ["--labels", "bleeding,non-bleeding"]
            sh(cmd, log)
            with open(os.path.join(ev, "metrics.json")) as f:
                results.append({"run": name, "kind": kind, "tta": tta, "swa": not lst, "model": m or "",
                                "seconds_per_frame": secs / n_frames, "metrics": json.load(f)})
        print(f"{name}: {secs:.0f} s for {n_frames} frames", flush=True)
    with open(os.path.join(a.out, "evaluation.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(a.out, "evaluation.md"), "w") as f:
        f.write(table(results))
    print(table(results))


def num(x, pct=False):
    if x is None:
        return "–"
    return f"{x:.2f}" if pct else f"{x:.3f}"


def table(results):
    out = ["| run | model | TTA | SWA | accuracy % | sensitivity | specificity | macro F1 % | ROC AUC | "
           "box AP50 | box AP | segm AP50 | segm AP | paper AP@100 (box) | localised | s/frame |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = r["metrics"]
        c = m.get("classification") or {}
        b = (m.get("bbox") or {}).get("stats") or {}
        s = (m.get("segm") or {}).get("stats") or {}
        t2 = (m.get("bbox") or {}).get("table2") or {}
        loc = m.get("localisation") or {}
        has_c = c.get("n_scored", 0) > 0 and r["kind"] != "seg"
        has_d = r["kind"] != "cls"
        out.append("| " + " | ".join([
            r["run"], r["model"] or ("classifier" if r["kind"] == "cls" else "ensemble"),
            "yes" if r["tta"] else "no", "yes" if r["swa"] else "no",
            num(c.get("accuracy_pct"), True) if has_c else "–",
            num(c.get("sensitivity")) if has_c else "–", num(c.get("specificity")) if has_c else "–",
            num(c.get("macro_f1_pct"), True) if has_c else "–", num(c.get("roc_auc")) if has_c else "–",
            num(b.get("AP50")) if has_d else "–", num(b.get("AP")) if has_d else "–",
            num(s.get("AP50")) if has_d else "–", num(s.get("AP")) if has_d else "–",
            num(t2.get("AP@100")) if has_d else "–",
            (f"{loc.get('localised')}/{loc.get('images')}" if has_d and loc else "–"),
            f"{r['seconds_per_frame']:.3f}"]) + " |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
