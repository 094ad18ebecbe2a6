"""Build a COCOeval fixture from real WCEBleedGen bleeding masks and write what an independent COCOeval
(cocoeval_ref.py) says about it, for tests/eval/test_metrics_coco_ref.c.

  make_coco_fixture.py OUT_DIR [--frames N] [--seed S]

Ground truth: N bleeding frames (default 240) chosen at random (seeded); each mask (ann- (k).png,
threshold > 127, any of the five PNG encodings) split into instances = 8-connected components; area = pixel
count, bbox = pixel extent; a few instances become crowd regions. Plus 30 frames without bleeding.
Detections, seeded: most instances are found with a shifted / dilated / eroded mask and a jittered box,
some are dropped, some found twice; false alarms (rectangles and ellipses) are added, 30 on the frames
without bleeding; one frame gets 120 detections (the maxDets cut); scores are multiples of 0.05 so that
ties are common; the result list is shuffled (ties then depend on that order).

Writes OUT_DIR/gt.json, dets.json (masks as uncompressed column-major runs: "h", "w", "counts") and
expected.json: {"iou_thrs", "rec_thrs", "bbox" / "segm" / "segm_mask_area": {"stats", "table2",
"match50"}, "loc_rate": {...}}. Exit code 3 when numpy, PIL or scipy is missing or the dataset is absent
(the test then skips)."""

import argparse
import json
import os
import sys

try:
    import numpy as np
    from PIL import Image
    from scipy import ndimage
except ImportError as e:  # the C test reads exit code 3 as "skip"
    print("make_coco_fixture: missing module: %s" % e, file=sys.stderr)
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cocoeval_ref as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "wcebleedgen", "WCEBleedGen"))


def load_mask(path):
    return np.array(Image.open(path).convert("L")) > 127


def shifted(mask, dy, dx):
    out = np.zeros_like(mask)
    h, w = mask.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = mask[ys, xs]
    return out


def perturb(rng, mask):
    m = shifted(mask, int(rng.integers(-3, 4)), int(rng.integers(-3, 4)))
    k = int(rng.choice([-1, 0, 0, 0, 1, 2]))
    if k > 0:
        m = ndimage.binary_dilation(m, iterations=k)
    elif k < 0:
        m = ndimage.binary_erosion(m, iterations=-k)
    return m


def jitter_box(rng, box):
    x, y, w, h = box
    x += rng.uniform(-2, 2)
    y += rng.uniform(-2, 2)
    w = max(1.0, w + rng.uniform(-3, 3))
    h = max(1.0, h + rng.uniform(-3, 3))
    return [round(v, 2) for v in (x, y, w, h)]


def random_blob(rng, h, w):
    """A false alarm: a rectangle or an ellipse of 3..110 px sides somewhere in the frame."""
    bw, bh = int(rng.integers(3, 111)), int(rng.integers(3, 111))
    x0, y0 = int(rng.integers(0, w - 2)), int(rng.integers(0, h - 2))
    m = np.zeros((h, w), dtype=bool)
    if rng.random() < 0.5:
        m[y0:y0 + bh, x0:x0 + bw] = True
    else:
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx = y0 + bh / 2, x0 + bw / 2
        m = ((yy - cy) / (bh / 2)) ** 2 + ((xx - cx) / (bw / 2)) ** 2 <= 1
    return m


def score(rng):
    return round(0.05 * int(rng.integers(1, 21)), 2)  # multiples of .05: many ties


def runs(mask):
    r = ref.rle_encode(mask)
    return {"h": r["size"][0], "w": r["size"][1], "counts": r["counts"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--seed", type=int, default=20240610)
    ap.add_argument("--data", default=DEFAULT_DATA)
    a = ap.parse_args()
    ann_dir = os.path.join(a.data, "bleeding", "Annotations")
    if not os.path.isdir(ann_dir):
        print("make_coco_fixture: no dataset at %s" % ann_dir, file=sys.stderr)
        sys.exit(3)
    rng = np.random.default_rng(a.seed)
    numbers = sorted(int(f[len("ann- ("):-len(").png")]) for f in os.listdir(ann_dir) if f.startswith("ann- ("))
    chosen = sorted(rng.choice(numbers, size=min(a.frames, len(numbers)), replace=False).tolist())

    images, anns, dets = [], [], []
    eight = np.ones((3, 3), dtype=int)
    for n in chosen:
        mask = load_mask(os.path.join(ann_dir, "ann- (%d).png" % n))
        h, w = mask.shape
        img_id = 1000 + 7 * n  # ids are neither dense nor in list order
        images.append({"id": img_id, "file_name": "bleeding/Images/img- (%d).png" % n, "width": w, "height": h})
        lab, k = ndimage.label(mask, structure=eight)
        for c in range(1, k + 1):
            inst = lab == c
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": 1, "bbox": ref.mask_bbox(inst),
                         "area": int(inst.sum()), "iscrowd": 1 if rng.random() < 0.04 else 0,
                         "segmentation": ref.rle_encode(inst)})
            if rng.random() < 0.15:  # missed
                continue
            for dup in range(2 if rng.random() < 0.12 else 1):
                m = perturb(rng, inst)
                dets.append({"image_id": img_id, "category_id": 1, "bbox": jitter_box(rng, ref.mask_bbox(m)),
                             "score": score(rng) if dup == 0 else 0.05, "segmentation": ref.rle_encode(m)})
        for _ in range(int(rng.integers(0, 4))):
            m = random_blob(rng, h, w)
            dets.append({"image_id": img_id, "category_id": 1, "bbox": jitter_box(rng, ref.mask_bbox(m)),
                         "score": score(rng), "segmentation": ref.rle_encode(m)})
    for j in range(30):  # frames without bleeding, one false alarm each
        img_id = 10 + j
        images.append({"id": img_id, "file_name": "non-bleeding/images/img- (%d).png" % j, "width": 224, "height": 224})
        m = random_blob(rng, 224, 224)
        dets.append({"image_id": img_id, "category_id": 1, "bbox": jitter_box(rng, ref.mask_bbox(m)),
                     "score": score(rng), "segmentation": ref.rle_encode(m)})
    crowded = images[0]["id"]  # 120 small false alarms on one frame: the maxDets = 100 cut
    for _ in range(120):
        m = np.zeros((224, 224), dtype=bool)
        x0, y0 = int(rng.integers(0, 214)), int(rng.integers(0, 214))
        m[y0:y0 + 6, x0:x0 + 6] = True
        dets.append({"image_id": crowded, "category_id": 1, "bbox": ref.mask_bbox(m), "score": score(rng),
                     "segmentation": ref.rle_encode(m)})
    dets = [dets[i] for i in rng.permutation(len(dets))]
    images = [images[i] for i in rng.permutation(len(images))]
    gt = {"images": images, "categories": [{"id": 1, "name": "bleeding"}], "annotations": anns}

    expected = {"iou_thrs": ref.IOU_THRS.tolist(), "rec_thrs": ref.REC_THRS.tolist(),
                "n_images": len(images), "n_anns": len(anns), "n_dets": len(dets), "frames": len(chosen)}
    for name, typ, area in (("bbox", "bbox", "box"), ("segm", "segm", "box"), ("segm_mask_area", "segm", "mask")):
        expected[name] = ref.evaluate(gt, dets, typ, area)
    expected["loc_rate"] = ref.localisation_rate(gt, dets, 0.5)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gt.json"), "w") as f:
        json.dump({"images": [{"id": im["id"], "width": im["width"], "height": im["height"]} for im in images],
                   "categories": [1],
                   "annotations": [{"id": x["id"], "image_id": x["image_id"], "category_id": x["category_id"],
                                    "bbox": x["bbox"], "area": x["area"], "iscrowd": x["iscrowd"],
                                    **runs(ref.rle_decode(x["segmentation"]))} for x in anns]}, f)
    with open(os.path.join(a.out, "dets.json"), "w") as f:
        json.dump([{"image_id": d["image_id"], "category_id": d["category_id"], "bbox": d["bbox"],
                    "score": d["score"], "h": d["segmentation"]["size"][0], "w": d["segmentation"]["size"][1],
                    "counts": d["segmentation"]["counts"]} for d in dets], f)
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("fixture: %d frames (%d bleeding), %d instances, %d detections; bbox AP %.4f, segm AP %.4f"
          % (len(images), len(chosen), len(anns), len(dets), expected["bbox"]["stats"][0], expected["segm"]["stats"][0]))


if __name__ == "__main__":
    main()
