#!/usr/bin/env python3
"""Reference computations for the host-side detection tests (tests/detect/test_*.c).

Usage: detect_ref.py <command> <in.json> <out.json>
  nms    torchvision.ops.nms on float32 boxes at several IoU thresholds  -> {"keeps": [[...], ...]}
  paste  mmdet _do_paste_mask (torch grid_sample, whole image)          -> {"prob": [...]}
  rle    pycocotools encode + rleToString, re-implemented from maskApi.c -> {"counts": [...], "string": "..."}
  eigen  numpy SVD projection (pytorch-grad-cam get_2d_projection)       -> {"proj": [...]}
  jet    matplotlib jet LUT (the _create_lookup_table algorithm)          -> {"lut": [...]}
  pil    PIL Image.resize(BILINEAR) of an RGB8 image                     -> {"rgb": [...]}
  wbf    weighted_boxes_fusion, a plain-Python port of ZFTurbo's code    -> {"boxes","scores","labels"}
Exits 3 when a needed module is missing so the C test can skip with a message.
"""
import json
import sys

import numpy as np


def need(mod):
    try:
        return __import__(mod)
    except ImportError:
        print(f"detect_ref.py: python module {mod} not available", file=sys.stderr)
        sys.exit(3)


def cmd_nms(a):
    torch = need("torch")
    tv = need("torchvision")
    boxes = torch.tensor(a["boxes"], dtype=torch.float32).view(-1, 4)
    scores = torch.tensor(a["scores"], dtype=torch.float32)
    return {"keeps": [tv.ops.nms(boxes, scores, float(t)).tolist() for t in a["thresholds"]]}


def cmd_paste(a):
    torch = need("torch")
    F = torch.nn.functional
    m = torch.tensor(a["map"], dtype=torch.float32).view(1, 1, a["mh"], a["mw"])
    x0, y0, x1, y1 = [torch.tensor([[v]], dtype=torch.float32) for v in a["box"]]
    H, W = a["h"], a["w"]
    img_y = torch.arange(0, H).to(torch.float32) + 0.5
    img_x = torch.arange(0, W).to(torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1
    img_x[torch.isinf(img_x)] = 0
    img_y[torch.isinf(img_y)] = 0
    gx = img_x[:, None, :].expand(1, H, W)
    gy = img_y[:, :, None].expand(1, H, W)
    grid = torch.stack([gx, gy], dim=3)
    out = F.grid_sample(m, grid, align_corners=False)
    return {"prob": out.view(-1).tolist()}


def rle_encode(mask):  # mask: h x w 0/1, pycocotools rleEncode on Fortran order
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    counts, prev, run = [], 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    return counts


def rle_to_string(cnts):
    s = []
    for i, x in enumerate(cnts):
        if i > 2:
            x -= cnts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # Python ints shift arithmetically, like the C long
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            s.append(chr(c + 48))
    return "".join(s)


def cmd_rle(a):
    mask = np.array(a["mask"], dtype=np.uint8).reshape(a["h"], a["w"])
    c = rle_encode(mask)
    return {"counts": c, "string": rle_to_string(c)}


def cmd_eigen(a):
    act = np.array(a["act"], dtype=np.float32).reshape(a["c"], a["h"], a["w"]).astype(np.float64)
    r = act.reshape(a["c"], -1).T
    r = r - r.mean(axis=0)
    _, _, vt = np.linalg.svd(r, full_matrices=True)
    return {"proj": (r @ vt[0, :]).tolist()}


def cmd_jet(a):
    segs = {
        "r": [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)],
        "g": [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)],
        "b": [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)],
    }
    N = 256
    chans = []
    for k in "rgb":
        d = np.array(segs[k], dtype=float)
        x, y0, y1 = d[:, 0], d[:, 1], d[:, 1]
        xind = np.linspace(0, 1, N)
        ind = np.searchsorted(x, xind)[1:-1]
        dist = (xind[1:-1] - x[ind - 1]) / (x[ind] - x[ind - 1])
        lut = np.concatenate([[y1[0]], dist * (y0[ind] - y1[ind - 1]) + y1[ind - 1], [y0[-1]]])
        chans.append(np.clip(lut, 0.0, 1.0))
    rgb = np.stack(chans, axis=1)
    return {"lut": (255 * rgb).astype(np.uint8).reshape(-1).tolist()}


def cmd_pil(a):
    Image = need("PIL.Image")
    from PIL import Image
    src = np.array(a["rgb"], dtype=np.uint8).reshape(a["sh"], a["sw"], 3)
    out = Image.fromarray(src).resize((a["dw"], a["dh"]), Image.BILINEAR)
    return {"rgb": np.asarray(out).reshape(-1).tolist()}


def wbf(boxes_list, scores_list, labels_list, weights, iou_thr, skip_box_thr, allows_overflow):
    """ZFTurbo weighted_boxes_fusion (conf_type='avg'), loops instead of numba; same dtypes."""
    weights = np.array(weights if weights is not None else np.ones(len(boxes_list)))
    new = {}
    for t in range(len(boxes_list)):
        for j in range(len(boxes_list[t])):
            score = scores_list[t][j]
            if score < skip_box_thr:
                continue
            label = int(labels_list[t][j])
            x1, y1, x2, y2 = [float(v) for v in boxes_list[t][j]]
            if x2 < x1:
                x1, x2 = x2, x1
            if y2 < y1:
                y1, y2 = y2, y1
            x1, x2, y1, y2 = [min(max(v, 0), 1) for v in (x1, x2, y1, y2)]
            if (x2 - x1) * (y2 - y1) == 0.0:
                continue
            new.setdefault(label, []).append([int(label), float(score) * weights[t], weights[t], t, x1, y1, x2, y2])
    for k in new:
        cb = np.array(new[k])
        new[k] = cb[cb[:, 1].argsort(kind="stable")[::-1]]
    if not new:
        return [], [], []
    overall = []
    for label in new:
        boxes = new[label]
        clusters = []
        wb = np.empty((0, 8))
        for j in range(len(boxes)):
            best, best_iou = -1, iou_thr
            if wb.shape[0]:
                b = wb[:, 4:]
                nb = boxes[j][4:]
                xA = np.maximum(b[:, 0], nb[0]); yA = np.maximum(b[:, 1], nb[1])
                xB = np.minimum(b[:, 2], nb[2]); yB = np.minimum(b[:, 3], nb[3])
                inter = np.maximum(xB - xA, 0) * np.maximum(yB - yA, 0)
                ious = inter / ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) + (nb[2] - nb[0]) * (nb[3] - nb[1]) - inter)
                i = int(np.argmax(ious))
                if ious[i] > iou_thr:
                    best, best_iou = i, ious[i]
            if best != -1:
                clusters[best].append(boxes[j])
                box = np.zeros(8, dtype=np.float32)
                conf = 0
                for b in clusters[best]:
                    box[4:] += b[1] * b[4:]
                    conf += b[1]
                box[0] = clusters[best][0][0]
                box[1] = conf / len(clusters[best])
                box[4:] /= conf
                wb[best] = box
            else:
                clusters.append([boxes[j].copy()])
                wb = np.vstack((wb, boxes[j].copy()))
        for i in range(len(clusters)):
            n = len(clusters[i])
            wb[i, 1] = wb[i, 1] * (n if allows_overflow else min(len(weights), n)) / weights.sum()
        overall.append(wb)
    overall = np.concatenate(overall, axis=0)
    overall = overall[overall[:, 1].argsort(kind="stable")[::-1]]
    return overall[:, 4:].tolist(), overall[:, 1].tolist(), overall[:, 0].tolist()


def cmd_wbf(a):
    b, s, l = wbf(a["boxes"], a["scores"], a["labels"], a.get("weights"), a["iou_thr"], a["skip_box_thr"],
                  a.get("allows_overflow", False))
    return {"boxes": b, "scores": s, "labels": l}


def main():
    cmds = {"nms": cmd_nms, "paste": cmd_paste, "rle": cmd_rle, "eigen": cmd_eigen, "jet": cmd_jet,
            "pil": cmd_pil, "wbf": cmd_wbf}
    if len(sys.argv) != 4 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[2]) as f:
        a = json.load(f)
    out = cmds[sys.argv[1]](a)
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
