"""An independent COCOeval in plain Python + numpy, written from pycocotools' documented algorithm
(cocoeval.py evaluate / evaluateImg / accumulate / summarize, coco.py loadRes, maskApi.c bbIou / rleIou),
to check hemovk's C metric engine (core/eval/metrics_*.c) without pycocotools, which Debian does not
package. It shares no code with the C: masks are decoded to boolean arrays and compared pixel by pixel
instead of merging runs.

Data model (plain dicts, as in a COCO file):
  gt = {"images": [{"id": ...}, ...], "categories": [{"id": ...}],
        "annotations": [{"id", "image_id", "category_id", "bbox": [x, y, w, h], "area", "iscrowd",
                         "segmentation": {"size": [h, w], "counts": [uncompressed runs]}}]}
  dts = [{"image_id", "category_id", "bbox", "score", "segmentation": {...}}]  (results order matters)

evaluate(gt, dts, iou_type, det_area) returns {"stats": 12 floats, "table2": 19 floats, "match50": per
detection the index of the annotation it matched at IoU .5 (area 'all', largest maxDets), -1 unmatched,
-2 not evaluated}. det_area is "box" (loadRes when results carry "bbox": area = w*h) or "mask"
(loadRes for segmentation-only results: the mask's pixel count).
"""

import numpy as np


# ---- masks ------------------------------------------------------------------------------------------

def rle_encode(mask):
    """Uncompressed COCO RLE of a boolean h x w mask: run lengths over the column-major pixels, starting
    with a run of zeros (possibly empty)."""
    h, w = mask.shape
    flat = np.asarray(mask, dtype=bool).flatten(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1  # first pixel of every run but the first
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts  # runs start with zeros
    return {"size": [h, w], "counts": [int(c) for c in counts]}


def rle_decode(rle):
    h, w = rle["size"]
    flat = np.zeros(h * w, dtype=bool)
    pos, val = 0, False
    for c in rle["counts"]:
        if val:
            flat[pos:pos + c] = True
        pos += c
        val = not val
    assert pos == h * w, "runs do not cover the mask"
    return flat.reshape((w, h)).T


def rle_area(rle):
    return int(sum(rle["counts"][1::2]))


def mask_bbox(mask):
    """toBbox of a mask: [x, y, w, h] of its pixel extent (0s for an empty mask). maskApi's quirk (a run
    crossing a column widens the box to full height) does not change an IoU, see mask_iou."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


# ---- IoU ----------------------------------------------------------------------------------------------

def box_iou(d, g, crowd):
    """maskApi.c bbIou for one pair: no +1; a crowd region divides by the detection's area."""
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    inter = w * h
    union = d[2] * d[3] if crowd else d[2] * d[3] + g[2] * g[3] - inter
    return inter / union


def mask_iou(d, g, crowd):
    """rleIou on decoded masks. maskApi.c first checks the box IoU and merges runs only where it is > 0;
    boxes of masks that share a pixel always overlap, so that shortcut only matters for masks of
    different sizes (IoU -1), handled here explicitly."""
    if d.shape != g.shape:
        return -1.0 if box_iou(mask_bbox(d), mask_bbox(g), crowd) > 0 else 0.0
    inter = int(np.logical_and(d, g).sum())
    if inter == 0:
        return 0.0
    union = int(d.sum()) if crowd else int(np.logical_or(d, g).sum())
    return inter / union


# ---- parameters ---------------------------------------------------------------------------------------

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = [1, 10, 100]
AREA_RNG = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
AREA_LBL = ["all", "small", "medium", "large"]


# ---- evaluation ---------------------------------------------------------------------------------------

def evaluate(gt, dts, iou_type="bbox", det_area="box"):
    img_ids = sorted({im["id"] for im in gt["images"]})
    cat_ids = sorted({c["id"] for c in gt["categories"]})
    img_set, cat_set = set(img_ids), set(cat_ids)
    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(AREA_RNG), len(MAX_DETS)

    # loadRes: ids from 1 in results order, iscrowd 0, the area by det_area
    dets = []
    for n, d in enumerate(dts):
        assert d["image_id"] in img_set, "results do not correspond to the ground truth"
        e = dict(d)
        e["id"] = n + 1
        e["index"] = n
        e["area"] = d["bbox"][2] * d["bbox"][3] if det_area == "box" else rle_area(d["segmentation"])
        dets.append(e)
    anns = []
    for n, a in enumerate(gt["annotations"]):
        e = dict(a)
        e["index"] = n
        e["ignore"] = bool(a.get("iscrowd", 0))
        anns.append(e)
    # per (image, category) lists in input order, only listed images and categories
    cell_gt, cell_dt = {}, {}
    for a in anns:
        if a["image_id"] in img_set and a["category_id"] in cat_set:
            cell_gt.setdefault((a["image_id"], a["category_id"]), []).append(a)
    for d in dets:
        if d["category_id"] in cat_set:
            cell_dt.setdefault((d["image_id"], d["category_id"]), []).append(d)
    decoded = {}

    def region(o):
        if iou_type == "bbox":
            return o["bbox"]
        key = ("d" if "score" in o else "g", o["index"])
        if key not in decoded:
            decoded[key] = rle_decode(o["segmentation"])
        return decoded[key]

    max_last = MAX_DETS[-1]
    ious = {}
    for key in set(cell_gt) | set(cell_dt):
        g, d = cell_gt.get(key, []), cell_dt.get(key, [])
        order = np.argsort([-x["score"] for x in d], kind="mergesort")
        d = [d[i] for i in order][:max_last]
        f = box_iou if iou_type == "bbox" else mask_iou
        ious[key] = np.array([[f(region(x), region(y), y["iscrowd"]) for y in g] for x in d]).reshape(len(d), len(g))

    def evaluate_img(key, a_rng, thr_list):
        g, d = cell_gt.get(key, []), cell_dt.get(key, [])
        if not g and not d:
            return None
        g_ig = [1 if (x["ignore"] or x["area"] < a_rng[0] or x["area"] > a_rng[1]) else 0 for x in g]
        g_order = np.argsort(g_ig, kind="mergesort")
        g_s = [g[i] for i in g_order]
        g_ig_s = np.array([g_ig[i] for i in g_order])
        crowd = [int(x["iscrowd"]) for x in g_s]
        d_order = np.argsort([-x["score"] for x in d], kind="mergesort")
        d_s = [d[i] for i in d_order[:max_last]]
        iou = ious[key][:, g_order] if ious[key].size else ious[key]
        nt = len(thr_list)
        gtm = np.zeros((nt, len(g_s)))
        dtm = np.zeros((nt, len(d_s)))
        dtm_idx = -np.ones((nt, len(d_s)), dtype=int)
        dt_ig = np.zeros((nt, len(d_s)))
        if len(g_s) and len(d_s):
            for ti, t in enumerate(thr_list):
                for di, dd in enumerate(d_s):
                    best = min(t, 1 - 1e-10)
                    m = -1
                    for gi in range(len(g_s)):
                        if gtm[ti, gi] > 0 and not crowd[gi]:
                            continue
                        if m > -1 and g_ig_s[m] == 0 and g_ig_s[gi] == 1:
                            break
                        if iou[di, gi] < best:
                            continue
                        best = iou[di, gi]
                        m = gi
                    if m == -1:
                        continue
                    dt_ig[ti, di] = g_ig_s[m]
                    dtm[ti, di] = g_s[m]["id"]
                    dtm_idx[ti, di] = g_s[m]["index"]
                    gtm[ti, m] = dd["id"]
        outside = np.array([x["area"] < a_rng[0] or x["area"] > a_rng[1] for x in d_s]).reshape((1, len(d_s)))
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(outside, nt, 0)))
        return {"scores": np.array([x["score"] for x in d_s]), "dtm": dtm, "dt_ig": dt_ig,
                "g_ig": g_ig_s, "dt_index": [x["index"] for x in d_s], "dtm_idx": dtm_idx}

    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    precision_s = -np.ones((T, K, A, M))
    for k, cat in enumerate(cat_ids):
        for a, rng in enumerate(AREA_RNG):
            E = [evaluate_img((img, cat), rng, IOU_THRS) for img in img_ids]
            E = [e for e in E if e is not None]
            if not E:
                continue
            for m, md in enumerate(MAX_DETS):
                scores = np.concatenate([e["scores"][:md] for e in E])
                order = np.argsort(-scores, kind="mergesort")
                dtm = np.concatenate([e["dtm"][:, :md] for e in E], axis=1)[:, order]
                dt_ig = np.concatenate([e["dt_ig"][:, :md] for e in E], axis=1)[:, order]
                g_ig = np.concatenate([e["g_ig"] for e in E])
                npig = int(np.count_nonzero(g_ig == 0))
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(float)
                fp_sum = np.cumsum(fps, axis=1).astype(float)
                for t in range(T):
                    tp, fp = tp_sum[t], fp_sum[t]
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    precision_s[t, k, a, m] = pr[-1] if nd else 0
                    pr = pr.tolist()
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    q = np.zeros(R)
                    for ri, pi in enumerate(np.searchsorted(rc, REC_THRS, side="left")):
                        if pi >= nd:
                            break
                        q[ri] = pr[pi]
                    precision[t, :, k, a, m] = q

    def summ(arr, kind, iou_thr=None, area="all", max_det=100):
        aind = [i for i, lbl in enumerate(AREA_LBL) if lbl == area]
        mind = [i for i, md in enumerate(MAX_DETS) if md == max_det]
        s = arr
        if iou_thr is not None:
            s = s[np.where(iou_thr == IOU_THRS)[0]]
        s = s[:, :, :, aind, mind] if kind == "precision" else s[:, :, aind, mind]
        return float(np.mean(s[s > -1])) if len(s[s > -1]) else -1.0

    md = MAX_DETS
    stats = [summ(precision, "precision"),
             summ(precision, "precision", .5, max_det=md[2]), summ(precision, "precision", .75, max_det=md[2]),
             summ(precision, "precision", area="small", max_det=md[2]),
             summ(precision, "precision", area="medium", max_det=md[2]),
             summ(precision, "precision", area="large", max_det=md[2]),
             summ(recall, "recall", max_det=md[0]), summ(recall, "recall", max_det=md[1]),
             summ(recall, "recall", max_det=md[2]),
             summ(recall, "recall", area="small", max_det=md[2]),
             summ(recall, "recall", area="medium", max_det=md[2]),
             summ(recall, "recall", area="large", max_det=md[2])]
    # MODEL_SPEC 9.2's layout of the authors' modified COCOeval
    table2 = stats[:6] + [summ(recall, "recall", .5, max_det=md[1]), summ(recall, "recall", max_det=md[1]),
                          summ(recall, "recall", max_det=md[2])] + stats[9:12] + [
        summ(precision_s, "recall", max_det=md[0]), summ(precision_s, "recall", max_det=md[1]),
        summ(precision_s, "recall", max_det=md[2]),
        summ(precision_s, "recall", .5, max_det=md[0]), summ(precision_s, "recall", .5, max_det=md[1]),
        summ(precision_s, "recall", .75, max_det=md[0]), summ(precision_s, "recall", .75, max_det=md[1])]

    # the matching at IoU .5, area 'all' (nothing is area-ignored there), for the per-detection check
    match50 = [-2] * len(dets)
    for key in set(cell_gt) | set(cell_dt):
        e = evaluate_img(key, AREA_RNG[0], [0.5])
        if e is None:
            continue
        for di, idx in enumerate(e["dt_index"]):
            match50[idx] = int(e["dtm_idx"][0, di])
    return {"stats": stats, "table2": table2, "match50": match50}


def localisation_rate(gt, dts, iou_thr=0.5):
    """Fraction of images holding a non-crowd instance where some detection of the same category has box
    IoU >= iou_thr with one of them."""
    inst = {}
    for a in gt["annotations"]:
        if not a.get("iscrowd", 0):
            inst.setdefault(a["image_id"], []).append(a)
    hit = 0
    for img, gs in inst.items():
        ds = [d for d in dts if d["image_id"] == img]
        if any(d["category_id"] == g["category_id"] and box_iou(d["bbox"], g["bbox"], 0) >= iou_thr
               for g in gs for d in ds):
            hit += 1
    return {"n_images": len(inst), "n_localised": hit}
