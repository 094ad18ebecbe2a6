#!/usr/bin/python3
"""Record what the shipped demo pipeline gave on a few validation frames, for its regression test.

tests/train/test_demo_regression.c runs pipelines/two-stage-demo.yaml on the frames listed in
tests/fixtures/demo/expected.jsonl and compares with what this script recorded there from the EVALUATED
run (the `pipeline-tta-swa` run of evaluate_models.py, whose numbers are in the model cards), so the
expectations are never typed by hand and always belong to the measured models:

    /usr/bin/python3 tools/train/record_demo_regression.py _train/eval/pipeline-tta-swa/run/results.jsonl

Per class it takes the first --per-class validation frames (split order) that the run classified
correctly, plus, for bleeding, the first frames with fused detections, so both routes and the outlines
are covered. Each line: key (path relative to the WCEBleedGen folder), label, probs, detections (box,
score, model, mask as COCO RLE).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OUT = os.path.join(common.REPO, "tests", "fixtures", "demo", "expected.jsonl")


def rel_key(path):
    p = path.replace("\\", "/")
    for cls_dir in ("bleeding/Images/", "non-bleeding/images/"):
        i = p.find(cls_dir)
        if i >= 0:
            return p[i:]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="results.jsonl of the evaluated demo-pipeline run")
    ap.add_argument("--per-class", type=int, default=2)
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    recs = {}
    with open(a.results) as f:
        for line in f:
            o = json.loads(line)
            k = rel_key(o["path"])
            if k:
                recs[k] = o
    picked = []
    for cls in common.CLASS_NAMES:
        rows = [r for r in common.split_rows("val") if r["class"] == cls and r["path"] in recs]
        right = [r for r in rows if (recs[r["path"]]["classification"] or {}).get("label") == cls]
        take = right[:a.per_class]
        if cls == "bleeding":
            with_dets = [r for r in right if recs[r["path"]]["detections"] and r not in take]
            take += with_dets[:a.per_class]
        picked += take
    with open(a.out, "w") as f:
        for r in picked:
            o = recs[r["path"]]
            c = o["classification"]
            f.write(json.dumps({"key": r["path"], "label": c["label"], "probs": c["probs"],
                                "detections": [{"box": d["box"], "score": d["score"], "model": d.get("model"),
                                                "mask": d.get("mask")} for d in o["detections"]]},
                               separators=(",", ":")) + "\n")
    print(f"wrote {len(picked)} frames to {a.out}")


if __name__ == "__main__":
    main()
