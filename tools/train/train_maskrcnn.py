#!/usr/bin/python3
"""Train hemovk's Mask R-CNN segmenters (ConvNeXt or InternImage/DCNv3 backbone + FPN + RPN + RoI heads)
from scratch on the WCEBleedGen train split, with MMDetection 2.x training semantics, then average the
last K epochs (SWA) and export safetensors with the MMDetection names hemovk's segmenter stage loads.

The networks are exactly tools/ref's inference modules (maskrcnn_ref.MaskRCNN over convnext_mm /
internimage_ref backbones; DCNv3 through its differentiable grid_sample core); this file adds only the
training parts: anchor / RoI assignment and sampling, target encoding, losses, mask targets, data,
augmentation, schedule, checkpoints, SWA, export, and a quick box-AP50 evaluation on the val split.

    /usr/bin/python3 tools/train/train_maskrcnn.py train --arch convnext --run-dir _train/seg-convnext
    /usr/bin/python3 tools/train/train_maskrcnn.py train --run-dir _train/seg-convnext --resume
    /usr/bin/python3 tools/train/train_maskrcnn.py export --run-dir _train/seg-convnext --swa 3
    /usr/bin/python3 tools/train/train_maskrcnn.py eval --run-dir _train/seg-convnext [--weights F]

See tools/train/README.md for the recipe, the sizes and the times on the project's machine.
"""
import argparse
import json
import math
import os
import sys
import time

# One BLAS thread unless told otherwise (before numpy/torch load it): results then do not depend on
# the machine's core count, and a resumed run is bit-identical to an uninterrupted one.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from PIL import Image
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (puts tools/ and tools/ref on sys.path)
import convnext_mm  # noqa: E402
import internimage_ref  # noqa: E402
import maskrcnn_ref  # noqa: E402

MEAN = np.array([123.675, 116.28, 103.53], np.float32)  # MODEL_SPEC §1.2, RGB order
STD = np.array([58.395, 57.12, 57.375], np.float32)
RCNN_STDS = [0.1, 0.1, 0.2, 0.2]
# The paper's test_cfg (MODEL_SPEC §5.0) = hemovk's segmenter defaults.
TEST_CFG = {"nms_pre": 1000, "rpn_iou": 0.01, "rpn_max": 1000, "score_thr": 0.05, "rcnn_iou": 0.2,
            "max_per_img": 100, "mask_thr": 0.2}


# ---- data -----------------------------------------------------------------------------------------

def mask_path(img_rel):
    """bleeding/Images/img- (N).png -> bleeding/Annotations/ann- (N).png"""
    d, f = img_rel.rsplit("/Images/", 1)
    return f"{d}/Annotations/{f.replace('img-', 'ann-', 1)}"


def label_components(mask):
    """8-connected components of a boolean mask: (label map uint8, boxes [n,4] float32 x1,y1,x2,y2 in
    pixel-edge coordinates, i.e. a component covering columns a..b has x1 = a, x2 = b + 1 — COCO's box
    of the mask)."""
    try:
        from scipy import ndimage
        lab, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    except ImportError:  # small BFS labeler (scipy is optional)
        lab, n = _bfs_label(mask)
    if n > 255:
        raise ValueError(f"{n} components: more than the uint8 label map holds")
    return lab.astype(np.uint8), boxes_of_labels(lab.astype(np.uint8), n)


def _bfs_label(mask):
    h, w = mask.shape
    lab = np.zeros((h, w), np.int32)
    n = 0
    for y0, x0 in zip(*np.nonzero(mask)):
        if lab[y0, x0]:
            continue
        n += 1
        lab[y0, x0] = n
        stack = [(y0, x0)]
        while stack:
            y, x = stack.pop()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not lab[yy, xx]:
                        lab[yy, xx] = n
                        stack.append((yy, xx))
    return lab, n


def boxes_of_labels(lab, n):
    out = np.zeros((n, 4), np.float32)
    for i in range(1, n + 1):
        ys, xs = np.nonzero(lab == i)
        out[i - 1] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    return out


def load_side(side, cache_dir, limit=0):
    """All frames of one split side as {images [N,H,W,3] u8 RGB, labels [N,H,W] u8 (0 = background,
    k = instance k), boxes: list of [n,4], bleeding [N] bool, paths}. Cached in cache_dir by the split's
    sha256 (decoding ~2600 PNGs takes a while on one core). limit > 0: only the first `limit` frames of
    each class, read directly (no cache; tests)."""
    sha = common.file_sha256(common.SPLIT_FILE)
    path = os.path.join(cache_dir, f"wcebleedgen-{side}-{sha[:16]}.npz")
    if os.path.exists(path) and not limit:
        z = np.load(path, allow_pickle=False)
        nb = z["nboxes"]
        flat = z["boxes"]
        offs = np.concatenate([[0], np.cumsum(nb)])
        return {"images": z["images"], "labels": z["labels"], "bleeding": z["bleeding"],
                "paths": [str(p) for p in z["paths"]],
                "boxes": [flat[offs[i]:offs[i + 1]] for i in range(len(nb))]}
    rows = common.split_rows(side)
    if limit:
        rows = [r for c in common.CLASS_NAMES for r in [x for x in rows if x["class"] == c][:limit]]
    imgs, labs, boxes, bleed, paths = [], [], [], [], []
    for r in rows:
        img = common.load_rgb(os.path.join(common.DATA_ROOT, r["path"]))
        if img.shape != (224, 224, 3):
            raise SystemExit(f"{r['path']}: {img.shape}, expected the release's 224x224 frames")
        if r["class"] == "bleeding":
            from PIL import Image
            with Image.open(os.path.join(common.DATA_ROOT, mask_path(r["path"]))) as im:
                m = np.asarray(im.convert("L")) > 127
            lab, bx = label_components(m)
        else:
            lab, bx = np.zeros(img.shape[:2], np.uint8), np.zeros((0, 4), np.float32)
        imgs.append(img), labs.append(lab), boxes.append(bx), bleed.append(r["class"] == "bleeding")
        paths.append(r["path"])
    if limit:
        return {"images": np.stack(imgs), "labels": np.stack(labs), "bleeding": np.array(bleed), "paths": paths,
                "boxes": boxes}
    os.makedirs(cache_dir, exist_ok=True)
    tmp = path + ".tmp.npz"
    np.savez(tmp, images=np.stack(imgs), labels=np.stack(labs), bleeding=np.array(bleed),
             paths=np.array(paths), nboxes=np.array([len(b) for b in boxes]),
             boxes=np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32))
    os.replace(tmp, path)
    return load_side(side, cache_dir)


def augment(img, lab, rng):
    """The paper's geometric augmentations: horizontal flip, vertical flip, rotation by 90° (each with
    probability 0.5 — together the 8 symmetries of the square). Boxes are recomputed from the label map."""
    if rng.random() < 0.5:
        img, lab = img[:, ::-1], lab[:, ::-1]
    if rng.random() < 0.5:
        img, lab = img[::-1], lab[::-1]
    if rng.random() < 0.5:
        img, lab = np.rot90(img), np.rot90(lab)
    return np.ascontiguousarray(img), np.ascontiguousarray(lab)


def augment_zoom_colour(img, lab, rng):
    """--augment 2: the paper's geometry, then (each with probability 0.5) a zoom-in by U(1, 1.25) with a
    random 224 crop (the label map resized nearest, instances that leave the frame dropped) and a
    brightness / contrast / saturation jitter of U(0.85, 1.15) each — never hue: the red of blood is the
    signal. Not in the paper; a generalisation aid for a model trained from scratch on 1000 frames."""
    img, lab = augment(img, lab, rng)
    h, w = lab.shape
    if rng.random() < 0.5:
        s = rng.uniform(1.0, 1.25)
        zh, zw = int(round(h * s)), int(round(w * s))
        if zh > h and zw > w:
            y0, x0 = int(rng.integers(0, zh - h + 1)), int(rng.integers(0, zw - w + 1))
            big = np.asarray(Image.fromarray(img).resize((zw, zh), Image.BILINEAR))
            big_lab = np.asarray(Image.fromarray(lab).resize((zw, zh), Image.NEAREST))
            img, lab = big[y0:y0 + h, x0:x0 + w], big_lab[y0:y0 + h, x0:x0 + w]
            kept = np.zeros(256, np.uint8)  # renumber the instances still in the frame 1..n
            ids = np.unique(lab)
            ids = ids[ids != 0]
            kept[ids] = np.arange(1, len(ids) + 1)
            lab = kept[lab]
    if rng.random() < 0.5:
        b, c, sat = rng.uniform(0.85, 1.15, size=3)
        x = img.astype(np.float32) * b
        x = (x - x.mean()) * c + x.mean()
        grey = x.mean(axis=2, keepdims=True)
        x = (x - grey) * sat + grey
        img = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img), np.ascontiguousarray(lab)


def to_tensor(img):
    """u8 RGB H×W×3 -> normalised 3×H×W float (MODEL_SPEC §1.2; 224 frames need no resize or pad)."""
    return torch.from_numpy(((img.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1).copy())


def targets_of(lab):
    """Instance boxes [n,4] and masks [n,H,W] (float) of a label map."""
    n = int(lab.max())
    ids = [i for i in range(1, n + 1)]
    if not ids:
        return torch.zeros(0, 4), torch.zeros(0, *lab.shape)
    boxes = torch.from_numpy(boxes_of_labels(lab, n))
    masks = torch.from_numpy(lab)[None] == torch.arange(1, n + 1, dtype=torch.uint8)[:, None, None]
    return boxes, masks.float()


# ---- model ----------------------------------------------------------------------------------------

class ConvNeXtFeatures(convnext_mm.Backbone):
    """convnext_mm.Backbone returning only the FPN inputs (after the extra output norms); same names."""

    def forward(self, x):
        return super().forward(x)[1]


def ints(s):
    return [int(v) for v in str(s).split(",")]


def floats(s):
    return [float(v) for v in str(s).split(",")]


def build_model(a):
    """The detector hemovk runs, from the run's hyper-parameters (see hemovk_params for the YAML)."""
    if a.arch == "convnext":
        dims = ints(a.dims)
        bb = ConvNeXtFeatures(ints(a.depths), dims, downsample_eps=a.downsample_eps)
        chans = dims
    else:
        ch = a.channels
        bb = internimage_ref.Backbone(channels=ch, depths=ints(a.depths), groups=ints(a.groups),
                                      offset_scale=a.offset_scale, post_norm=bool(a.post_norm))
        for m in bb.modules():  # the differentiable grid_sample core (same values as the kernel formula)
            if isinstance(m, internimage_ref.DCNv3):
                m.core = internimage_ref.dcnv3_core_pytorch
        chans = [ch * 2 ** i for i in range(4)]
    model = maskrcnn_ref.MaskRCNN(bb, chans, 1, a.fpn, a.fc, anchor_scales=floats(getattr(a, "anchor_scales", "8")))
    init_weights(model, a.arch)
    return model


def init_weights(model, arch):
    """The upstream initialisations: backbones trunc_normal(0.02) linears/convs with zero bias, LN 1/0,
    DCNv3 offset/mask zero and projections xavier (InternImage `_reset_parameters`); FPN xavier-uniform
    convs; RPN normal(0.01); Shared2FC xavier-uniform, fc_cls normal(0.01), fc_reg normal(0.001); mask
    head kaiming-normal (fan_out, relu) convs and deconv (mmdet 2.x init_cfg of each module)."""
    for m in model.backbone.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight), nn.init.zeros_(m.bias)
    if arch == "internimage":
        for m in model.backbone.modules():
            if isinstance(m, internimage_ref.DCNv3):
                for lin in (m.offset, m.mask):
                    nn.init.zeros_(lin.weight), nn.init.zeros_(lin.bias)
                for lin in (m.input_proj, m.output_proj):
                    nn.init.xavier_uniform_(lin.weight), nn.init.zeros_(lin.bias)
    for m in model.neck.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight), nn.init.zeros_(m.bias)
    for m in model.rpn_head.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.01), nn.init.zeros_(m.bias)
    bh = model.roi_head.bbox_head
    for f in bh.shared_fcs:
        nn.init.xavier_uniform_(f.weight), nn.init.zeros_(f.bias)
    nn.init.normal_(bh.fc_cls.weight, std=0.01), nn.init.zeros_(bh.fc_cls.bias)
    nn.init.normal_(bh.fc_reg.weight, std=0.001), nn.init.zeros_(bh.fc_reg.bias)
    mh = model.roi_head.mask_head
    for m in list(mh.convs.modules()) + [mh.upsample, mh.conv_logits]:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu"), nn.init.zeros_(m.bias)


def hemovk_params(a):
    """The segmenter stage's params for these weights (plugins/segment/seg_config.c)."""
    if a.arch == "convnext":
        bb = {"component": "convnext", "params": {"depths": ints(a.depths), "dims": ints(a.dims),
                                                  "downsample_eps": a.downsample_eps}}
    else:
        bb = {"component": "internimage", "params": {"channels": a.channels, "depths": ints(a.depths),
                                                     "groups": ints(a.groups), "offset_scale": a.offset_scale,
                                                     "post_norm": bool(a.post_norm)}}
    out = {"backbone": bb, "fpn_channels": a.fpn, "fc_channels": a.fc}
    scales = floats(getattr(a, "anchor_scales", "8"))
    if scales != [8.0]:  # the segmenter's default is mmdet's [8]
        out["anchor_scales"] = scales
    return out


# ---- MMDetection 2.x training semantics -------------------------------------------------------------

def max_iou_assign(overlaps, pos_thr, neg_thr, min_pos_iou, match_low_quality=True):
    """MaxIoUAssigner.assign_wrt_overlaps (gt_max_assign_all=True): overlaps [G,N] -> assigned [N]
    (-1 ignore, 0 negative, k+1 = GT k) and the IoU of each with its best GT."""
    G, N = overlaps.shape
    assigned = torch.full((N,), -1, dtype=torch.long)
    if G == 0 or N == 0:
        assigned[:] = 0
        return assigned, torch.zeros(N)
    max_ov, argmax = overlaps.max(0)
    gt_max, _ = overlaps.max(1)
    assigned[(max_ov >= 0) & (max_ov < neg_thr)] = 0
    pos = max_ov >= pos_thr
    assigned[pos] = argmax[pos] + 1
    if match_low_quality:
        for i in range(G):
            if gt_max[i] >= min_pos_iou:
                assigned[overlaps[i] == gt_max[i]] = i + 1
    return assigned, max_ov


def random_sample(assigned, num, pos_fraction, gen):
    """RandomSampler (neg_pos_ub=-1): up to num·pos_fraction positives, the rest negatives, uniformly."""
    pos = torch.nonzero(assigned > 0).flatten()
    neg = torch.nonzero(assigned == 0).flatten()
    n_pos = int(num * pos_fraction)
    if pos.numel() > n_pos:
        pos = pos[torch.randperm(pos.numel(), generator=gen)[:n_pos]]
    n_neg = num - pos.numel()
    if neg.numel() > n_neg:
        neg = neg[torch.randperm(neg.numel(), generator=gen)[:n_neg]]
    return pos, neg


def bbox2delta(props, gt, stds):
    """DeltaXYWHBBoxCoder.encode (means 0): the inverse of maskrcnn_ref.delta2bbox."""
    pw, ph = props[:, 2] - props[:, 0], props[:, 3] - props[:, 1]
    px, py = (props[:, 0] + props[:, 2]) * 0.5, (props[:, 1] + props[:, 3]) * 0.5
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = (gt[:, 0] + gt[:, 2]) * 0.5, (gt[:, 1] + gt[:, 3]) * 0.5
    d = torch.stack([(gx - px) / pw, (gy - py) / ph, torch.log(gw / pw), torch.log(gh / ph)], -1)
    return d / torch.tensor(stds)


class Trainer:
    """Losses of one batch, as MMDetection 2.x's MaskRCNN.forward_train with the mask_rcnn_r50_fpn
    train_cfg (rpn: MaxIoU 0.7/0.3/0.3, 256 @ 0.5; rpn_proposal: nms_pre 2000, max 1000, NMS iou;
    rcnn: MaxIoU 0.5/0.5/0.5, 512 @ 0.25 with GT as proposals, mask 28×28)."""

    def __init__(self, model, rpn_nms=0.7):
        self.model, self.rpn_nms = model, rpn_nms
        self._anchors = {}

    def anchors(self, sizes):
        key = tuple(tuple(s) for s in sizes)
        if key not in self._anchors:
            self._anchors[key] = torch.cat(maskrcnn_ref.anchors_for(sizes, self.model.anchor_scales))
        return self._anchors[key]

    def losses(self, x, gts, gen):
        """x [B,3,H,W]; gts: list of (boxes [n,4], masks [n,H,W]); gen: torch.Generator of the sampling."""
        m = self.model
        B, _, H, W = x.shape
        fpn = m.neck(m.backbone(x))
        cls, reg = m.rpn_head(fpn)
        anchors = self.anchors([c.shape[2:] for c in cls])
        cls_flat = torch.cat([c.permute(0, 2, 3, 1).reshape(B, -1) for c in cls], 1)
        reg_flat = torch.cat([r.permute(0, 2, 3, 1).reshape(B, -1, 4) for r in reg], 1)

        # RPN
        rpn_cls_terms, rpn_reg_terms, n_samples = [], [], 0
        for b, (gb, _) in enumerate(gts):
            ov = torchvision.ops.box_iou(gb, anchors) if len(gb) else torch.zeros(0, len(anchors))
            assigned, _ = max_iou_assign(ov, 0.7, 0.3, 0.3)
            pos, neg = random_sample(assigned, 256, 0.5, gen)
            n_samples += pos.numel() + neg.numel()
            idx = torch.cat([pos, neg])
            lbl = torch.cat([torch.ones(pos.numel()), torch.zeros(neg.numel())])
            rpn_cls_terms.append(F.binary_cross_entropy_with_logits(cls_flat[b, idx], lbl, reduction="sum"))
            if pos.numel():
                t = bbox2delta(anchors[pos], gb[assigned[pos] - 1], [1, 1, 1, 1])
                rpn_reg_terms.append((reg_flat[b, pos] - t).abs().sum())
        n_samples = max(n_samples, 1)
        loss_rpn_cls = torch.stack(rpn_cls_terms).sum() / n_samples
        loss_rpn_bbox = (torch.stack(rpn_reg_terms).sum() if rpn_reg_terms else reg_flat.sum() * 0) / n_samples

        # proposals (no gradient), RoI assignment and sampling
        rois, labels, targets, pos_rois, pos_gt = [], [], [], [], []
        gt_offset, all_masks = 0, []
        with torch.no_grad():
            for b, (gb, gm) in enumerate(gts):
                props = maskrcnn_ref.rpn_proposals([c[b:b + 1].detach() for c in cls],
                                                   [r[b:b + 1].detach() for r in reg], (H, W),
                                                   nms_pre=2000, iou=self.rpn_nms, max_per_img=1000,
                                                   scales=m.anchor_scales)[:, :4]
                props = torch.cat([gb, props])  # add_gt_as_proposals (GT first, as mmdet's sampler)
                ov = torchvision.ops.box_iou(gb, props) if len(gb) else torch.zeros(0, len(props))
                assigned, _ = max_iou_assign(ov, 0.5, 0.5, 0.5)
                pos, neg = random_sample(assigned, 512, 0.25, gen)
                sel = torch.cat([pos, neg])
                rois.append(torch.cat([torch.full((sel.numel(), 1), float(b)), props[sel]], 1))
                labels.append(torch.cat([torch.zeros(pos.numel(), dtype=torch.long),  # class 0 = bleeding
                                         torch.ones(neg.numel(), dtype=torch.long)]))  # 1 = background
                t = torch.zeros(sel.numel(), 4)
                if pos.numel():
                    g = assigned[pos] - 1
                    t[:pos.numel()] = bbox2delta(props[pos], gb[g], RCNN_STDS)
                    pos_rois.append(torch.cat([torch.full((pos.numel(), 1), float(b)), props[pos]], 1))
                    pos_gt.append(g + gt_offset)
                targets.append(t)
                gt_offset += len(gb)
                all_masks.append(gm)
            rois, labels, targets = torch.cat(rois), torch.cat(labels), torch.cat(targets)
        npos_all = int((labels == 0).sum())

        rf, _ = maskrcnn_ref.roi_extract(fpn[:4], rois, 7)
        cs, bp = m.roi_head.bbox_head(rf)
        loss_cls = F.cross_entropy(cs, labels)
        is_pos = labels == 0
        loss_bbox = ((bp[is_pos] - targets[is_pos]).abs().sum() if npos_all else bp.sum() * 0) / max(len(labels), 1)
        acc = float((cs.argmax(1) == labels).float().mean())

        if pos_rois:
            pr = torch.cat(pos_rois)
            mf, _ = maskrcnn_ref.roi_extract(fpn[:4], pr, 14)
            logits = m.roi_head.mask_head(mf)[:, 0]  # the GT class's channel (one class)
            with torch.no_grad():
                masks = torch.cat(all_masks)[:, None]
                mroi = torch.cat([torch.cat(pos_gt).float()[:, None], pr[:, 1:]], 1)
                mt = torchvision.ops.roi_align(masks, mroi, 28, 1.0, 0, aligned=True)[:, 0] >= 0.5
            loss_mask = F.binary_cross_entropy_with_logits(logits, mt.float())
        else:
            loss_mask = sum(p.sum() for p in m.roi_head.mask_head.parameters()) * 0
        return {"rpn_cls": loss_rpn_cls, "rpn_bbox": loss_rpn_bbox, "cls": loss_cls, "bbox": loss_bbox,
                "mask": loss_mask}, {"acc": acc, "pos": npos_all / B}


# ---- evaluation ---------------------------------------------------------------------------------------

def box_ap50(dets, gts):
    """COCO-style AP at IoU 0.5 (101-point interpolation, maxDets 100, all areas, greedy matching in score
    order against the best unmatched GT) over images: dets [list of [k,5]], gts [list of [n,4]]."""
    scores, tps, n_gt = [], [], 0
    for d, g in zip(dets, gts):
        n_gt += len(g)
        d = d[torch.argsort(d[:, 4], descending=True)][:100]
        used = torch.zeros(len(g), dtype=torch.bool)
        ious = torchvision.ops.box_iou(d[:, :4], g) if len(g) and len(d) else torch.zeros(len(d), len(g))
        for i in range(len(d)):
            best, bj = 0.5 - 1e-10, -1
            for j in range(len(g)):
                if not used[j] and ious[i, j] >= best:
                    best, bj = float(ious[i, j]), j
            if bj >= 0:
                used[bj] = True
            scores.append(float(d[i, 4]))
            tps.append(bj >= 0)
    if n_gt == 0:
        return float("nan")
    order = np.argsort(-np.array(scores), kind="mergesort")
    tp = np.array(tps, dtype=np.float64)[order]
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    rec = ctp / n_gt
    prec = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    ap = 0.0
    for r in np.linspace(0, 1, 101):
        k = np.searchsorted(rec, r, side="left")
        ap += prec[k] if k < len(prec) else 0.0
    return ap / 101


@torch.no_grad()
def predict(model, img, cfg=None):
    model.eval()
    x = to_tensor(img)[None]
    H, W = img.shape[:2]
    out = model.forward_stages(x, (H, W), (H, W), cfg=cfg or TEST_CFG)
    return out["dets"]


def evaluate(model, val, limit=0):
    """Box AP50 on the val bleeding frames and on all val frames (non-bleeding ones only add FPs)."""
    n = len(val["images"]) if not limit else min(limit, len(val["images"]))
    idx = np.arange(len(val["images"]))
    if limit:  # an even mix of both classes
        idx = np.concatenate([np.nonzero(val["bleeding"])[0][:n // 2], np.nonzero(~val["bleeding"])[0][:n - n // 2]])
    dets, gts, bl = [], [], []
    t0 = time.time()
    for i in idx:
        dets.append(predict(model, val["images"][i]))
        gts.append(torch.from_numpy(val["boxes"][i]))
        bl.append(bool(val["bleeding"][i]))
    ap_b = box_ap50([d for d, b in zip(dets, bl) if b], [g for g, b in zip(gts, bl) if b])
    ap_all = box_ap50(dets, gts)
    fp_neg = float(np.mean([len(d) for d, b in zip(dets, bl) if not b])) if not all(bl) else 0.0
    return {"ap50_bleeding": ap_b, "ap50_all": ap_all, "dets_per_neg_frame": fp_neg,
            "eval_s_per_frame": (time.time() - t0) / max(len(idx), 1), "eval_frames": len(idx)}


# ---- training loop ---------------------------------------------------------------------------------

def lr_factor(it, a, iters_per_epoch):
    """Linear warmup from warmup_ratio over warmup_iters, then ×0.1 at each epoch in --steps (mmdet's
    step policy)."""
    f = 1.0
    for s in ints(a.steps) if a.steps else []:
        if it >= s * iters_per_epoch:
            f *= 0.1
    if it < a.warmup_iters:
        f *= a.warmup_ratio + (1 - a.warmup_ratio) * it / a.warmup_iters
    return f


def epoch_order(train, epoch, a):
    """The frames of one epoch, shuffled: every bleeding frame and round(negatives·#non-bleeding)
    non-bleeding ones drawn afresh each epoch. Depends only on (seed, epoch), so a resumed run draws the
    same epochs."""
    rng = np.random.default_rng([a.seed, epoch])
    pos = np.nonzero(train["bleeding"])[0]
    neg = np.nonzero(~train["bleeding"])[0]
    if a.max_frames:
        pos = pos[:a.max_frames]
        neg = neg[:a.max_frames]
    k = int(round(a.negatives * len(neg)))
    chosen = np.concatenate([pos, rng.choice(neg, k, replace=False)]) if k else pos
    return rng.permutation(chosen)


def iters_per_epoch(train, a):
    return len(epoch_order(train, 0, a)) // a.batch


def train(a):
    torch.set_num_threads(a.threads)
    if a.resume:
        meta_path = os.path.join(a.run_dir, "run.json")
        if not os.path.exists(meta_path):
            raise SystemExit(f"--resume: no {meta_path}")
        with open(meta_path) as f:
            saved = json.load(f)["args"]
        # A resumed run keeps its hyper-parameters, except a schedule given again on the command line
        # (--epochs / --steps: shortening or extending a run; run.json records the resume's command).
        keep = ["run_dir", "resume", "threads", "stop_after_epoch", "cache"]
        keep += [k for k in ("epochs", "steps") if f"--{k}" in sys.argv]
        cli = {k: v for k, v in vars(a).items() if k in keep}
        a = argparse.Namespace(**{**saved, **cli})
    common.start_run(a.run_dir, a)
    common.seed_everything(a.seed)
    trn = load_side("train", a.cache, a.max_frames)
    val = load_side("val", a.cache, a.max_frames) if a.eval_every else None
    model = build_model(a)
    trainer = Trainer(model, a.rpn_nms)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd, betas=(0.9, 0.999))
    ipe = iters_per_epoch(trn, a)
    total = ipe * a.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: lr_factor(it, a, ipe))
    start_epoch = 0
    ck = common.latest_checkpoint(a.run_dir) if a.resume else None
    if getattr(a, "init_from", None) and not ck:
        # a new cycle from exported weights (a shipped model's safetensors, or an export's .pt): the weights
        # only; the optimiser starts afresh behind the warm-up, the schedule is this run's own
        skip = [p for p in (getattr(a, "init_skip", "") or "").split(",") if p]
        n = load_weights(model, a.init_from, skip)
        print(f"initialised {n} tensors from {a.init_from}", flush=True)
    if a.resume:
        if ck:
            start_epoch, _ = common.load_checkpoint(ck, model, opt, sched)
            print(f"resumed from {ck} (epoch {start_epoch} done)", flush=True)
        common.truncate_log(a.run_dir, start_epoch)
        if not ck:
            print("--resume: no checkpoint yet, starting at epoch 0", flush=True)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"{a.arch}: {nparam / 1e6:.2f} M parameters, {ipe} iters/epoch x {a.epochs} epochs, batch {a.batch}, "
          f"{a.threads} thread(s)", flush=True)
    prog = common.Progress(total, f"train {a.arch}", every=a.progress_every, done=start_epoch * ipe)
    for epoch in range(start_epoch, a.epochs):
        model.train()
        order = epoch_order(trn, epoch, a)
        sums, count, t0 = {}, 0, time.time()
        for k in range(ipe):
            it = epoch * ipe + k
            batch = order[k * a.batch:(k + 1) * a.batch]
            aug_rng = np.random.default_rng([a.seed, epoch, k, 1])
            gen = torch.Generator().manual_seed(a.seed * 1000003 + it)
            xs, gts = [], []
            for i in batch:
                img, lab = trn["images"][i], trn["labels"][i]
                if a.augment == 2:
                    img, lab = augment_zoom_colour(img, lab, aug_rng)
                elif a.augment:
                    img, lab = augment(img, lab, aug_rng)
                xs.append(to_tensor(img))
                gts.append(targets_of(lab))
            losses, stats = trainer.losses(torch.stack(xs), gts, gen)
            loss = sum(losses.values())
            if not torch.isfinite(loss):
                raise SystemExit(f"non-finite loss at iter {it}: { {k: float(v) for k, v in losses.items()} }")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if a.clip_grad > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip_grad)
            opt.step()
            sched.step()
            for name, v in list(losses.items()) + [("loss", loss)]:
                sums[name] = sums.get(name, 0.0) + float(v)
            sums["acc"] = sums.get("acc", 0.0) + stats["acc"]
            count += 1
            prog.update(it + 1, epoch=epoch + 1, **{k: v / count for k, v in sums.items()},  # epoch means so far
                        lr=opt.param_groups[0]["lr"], s_it=(time.time() - t0) / count)
        rec = {"epoch": epoch + 1, "iters": (epoch + 1) * ipe, "lr": opt.param_groups[0]["lr"],
               "s_per_iter": (time.time() - t0) / max(count, 1), "time": time.time()}
        rec.update({k: v / max(count, 1) for k, v in sums.items()})
        if a.eval_every and ((epoch + 1) % a.eval_every == 0 or epoch + 1 == a.epochs):
            rec.update(evaluate(model, val, a.eval_frames))
        # the log line first, then the checkpoint: a kill between them leaves a line that the resume
        # (which starts from the previous checkpoint) drops, never a checkpoint without its line
        common.log_epoch(a.run_dir, rec)
        common.save_checkpoint(a.run_dir, epoch + 1, model, opt, sched)
        print("epoch " + json.dumps(rec, sort_keys=True), flush=True)
        if a.stop_after_epoch and epoch + 1 >= a.stop_after_epoch:
            print(f"stopping after epoch {epoch + 1} (--stop-after-epoch)", flush=True)
            return model
    return model


def load_weights(model, path, skip=()):
    """Load exported weights into the model: a .safetensors (f16 or f32, the names the export wrote) or a
    .pt holding a state dict. Every tensor of the model must be there with its shape (a clear error naming
    the first one that is not), except those whose names start with one of `skip` (they keep their fresh
    initialisation: e.g. the RPN's output convs when the anchors change); returns how many were loaded."""
    if path.endswith(".safetensors"):
        import st_io  # tools/ref, on the path through common
        sd = st_io.load(path)
    else:
        sd = torch.load(path, map_location="cpu")
        sd = sd.get("state_dict", sd)
    own = model.state_dict()
    for k, v in own.items():
        if k.endswith("num_batches_tracked") or any(k.startswith(p) for p in skip):
            continue
        if k not in sd:
            raise SystemExit(f"--init-from {path}: no tensor '{k}' (weights of another architecture?)")
        if tuple(sd[k].shape) != tuple(v.shape):
            raise SystemExit(f"--init-from {path}: '{k}' has shape {tuple(sd[k].shape)}, the model {tuple(v.shape)}")
        own[k] = sd[k].to(v.dtype)
    model.load_state_dict(own)
    return sum(1 for k in own if not k.endswith("num_batches_tracked") and not any(k.startswith(p) for p in skip))


def run_args(run_dir):
    with open(os.path.join(run_dir, "run.json")) as f:
        return argparse.Namespace(**json.load(f)["args"])


def export(a):
    """SWA over the last K epoch checkpoints (K=1: the last epoch), then safetensors + a segmenter YAML."""
    r = run_args(a.run_dir)
    cks = common.epoch_checkpoints(a.run_dir)
    if not cks:
        raise SystemExit(f"{a.run_dir}: no epoch checkpoints")
    use = cks[-a.swa:]
    sd = common.swa_average(use) if len(use) > 1 else torch.load(use[0], map_location="cpu")["state_dict"]
    model = build_model(r)
    model.load_state_dict(sd)  # the names and shapes are the model's
    out = a.out or os.path.join(a.run_dir, f"maskrcnn-{r.arch}{'-swa%d' % len(use) if len(use) > 1 else ''}.safetensors")
    params = hemovk_params(r)
    meta = {"arch": r.arch, "swa_of": ",".join(os.path.basename(p) for p in use),
            "hemovk_params": json.dumps(params), "commit": common.git_commit()}
    if getattr(r, "init_from", None):  # a further cycle: where its weights started (the lineage)
        meta["init_from"] = os.path.relpath(r.init_from, common.REPO) if os.path.isabs(r.init_from) else r.init_from
    common.export_safetensors(model.state_dict(), out, a.dtype, meta)
    pt = out.replace(".safetensors", ".pt")
    torch.save({"state_dict": model.state_dict(), "args": vars(r), "swa_of": use}, pt)
    yaml_path = out.replace(".safetensors", ".yaml")
    write_pipeline(yaml_path, os.path.basename(out), params, f"maskrcnn-{r.arch}")
    print(f"wrote {out} ({a.dtype}, SWA of {len(use)}: {', '.join(os.path.basename(p) for p in use)}), {pt}, {yaml_path}")
    if a.eval:
        val = load_side("val", r.cache if hasattr(r, "cache") else a.cache)
        print("val " + json.dumps(evaluate(model, val)), flush=True)
    return out


def write_pipeline(path, weights_rel, params, name, score_thr=None):
    """A segmenter-only pipeline for `hemovk run` over these weights (paper test_cfg, no TTA; score_thr
    overrides the rcnn score threshold)."""
    bb = params["backbone"]
    tc = f"\n      test_cfg: {{rcnn: {{score_thr: {score_thr}}}}}" if score_thr is not None else ""
    if "anchor_scales" in params:  # only when not mmdet's [8], the segmenter's default
        tc = f"\n      anchor_scales: {json.dumps(params['anchor_scales'])}" + tc
    bp = ", ".join(f"{k}: {json.dumps(v)}" for k, v in bb["params"].items())
    text = f"""# Written by tools/train/train_maskrcnn.py export: one segmenter over the trained weights
# (paper test_cfg, no TTA), JSONL out.   hemovk run {os.path.basename(path)} --input FRAMES --output OUT
version: 1
name: {name}
precision: f32
batch: 1
stages:
  - id: seg
    component: segmenter
    params:
      model: {name}
      backbone: {{component: {bb['component']}, params: {{{bp}}}}}
      weights: {{loader: safetensors, params: {{path: {weights_rel}}}}}
      fpn_channels: {params['fpn_channels']}
      fc_channels: {params['fc_channels']}{tc}
outputs:
  - {{id: jsonl, component: writer.jsonl, path: results.jsonl}}
"""
    with open(path, "w") as f:
        f.write(text)


def eval_cmd(a):
    torch.set_num_threads(a.threads)
    r = run_args(a.run_dir)
    model = build_model(r)
    if a.weights:
        sd = torch.load(a.weights, map_location="cpu")
        model.load_state_dict(sd.get("state_dict", sd))
    else:
        ck = common.latest_checkpoint(a.run_dir)
        model.load_state_dict(torch.load(ck, map_location="cpu")["state_dict"])
    val = load_side("val", a.cache)
    print(json.dumps(evaluate(model, val, a.limit)), flush=True)


def add_model_args(p):
    p.add_argument("--arch", choices=["convnext", "internimage"], default="convnext")
    p.add_argument("--depths", default="1,1,2,1")
    p.add_argument("--dims", default="24,48,96,192", help="ConvNeXt channels per stage")
    p.add_argument("--downsample-eps", type=float, default=1e-5,
                   help="ConvNeXt downsample LN eps (1e-5: mmcls 0.x, hemovk's default)")
    p.add_argument("--channels", type=int, default=24, help="InternImage C0")
    p.add_argument("--groups", default="1,2,4,8", help="InternImage DCNv3 groups per level")
    p.add_argument("--offset-scale", type=float, default=2.0, help="InternImage-XL's 2.0")
    p.add_argument("--post-norm", type=int, default=1, help="InternImage-XL's post-norm (1)")
    p.add_argument("--fpn", type=int, default=64, help="FPN / head width (MMDetection 256)")
    p.add_argument("--fc", type=int, default=256, help="Shared2FC width (MMDetection 1024)")
    p.add_argument("--anchor-scales", default="8",
                   help="AnchorGenerator scales, comma-separated (MMDetection's 8: 32 px anchors at stride 4); "
                        "the RPN predicts 3 ratios x this many anchors per cell")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train (or --resume) a segmenter")
    add_model_args(t)
    t.add_argument("--run-dir", required=True)
    t.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its latest checkpoint "
                   "with its saved hyper-parameters")
    t.add_argument("--init-from", help="start a new run from exported weights (.safetensors or .pt): a further "
                   "cycle for a model whose run directory is gone; ignored once the run has a checkpoint")
    t.add_argument("--init-skip", default="",
                   help="with --init-from: comma-separated tensor-name prefixes left at their fresh initialisation "
                        "(e.g. rpn_head.rpn_cls,rpn_head.rpn_reg when --anchor-scales changes their shape)")
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch", type=int, default=2)
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--wd", type=float, default=0.05)
    t.add_argument("--warmup-iters", type=int, default=500)
    t.add_argument("--warmup-ratio", type=float, default=0.001)
    t.add_argument("--steps", default="8,11", help="epochs after which the lr is multiplied by 0.1")
    t.add_argument("--clip-grad", type=float, default=0.0, help="max grad norm (0: none, as the paper)")
    t.add_argument("--negatives", type=float, default=0.0,
                   help="fraction of the non-bleeding train frames added to each epoch as negatives")
    t.add_argument("--rpn-nms", type=float, default=0.7, help="NMS IoU of the training proposals")
    t.add_argument("--augment", type=int, default=1, choices=[0, 1, 2],
                   help="0: none; 1: the paper's flips and rot90; 2: those, a zoom-in and a colour jitter")
    t.add_argument("--seed", type=int, default=0,
                   help="the epoch order, augmentation and samplers depend only on it: give a further cycle "
                   "(--init-from) a seed no earlier cycle used, or it replays their draws")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--max-frames", type=int, default=0, help="use only the first N frames of each class (tests)")
    t.add_argument("--eval-every", type=int, default=0, help="val box AP50 every N epochs (0: never)")
    t.add_argument("--eval-frames", type=int, default=0, help="limit the val evaluation to N frames (0: all)")
    t.add_argument("--stop-after-epoch", type=int, default=0, help="exit after this epoch (tests)")
    t.add_argument("--progress-every", type=float, default=60.0, help="seconds between progress lines")
    t.add_argument("--cache", default=os.path.join(common.REPO, "_train", "cache"))
    e = sub.add_parser("export", help="SWA over the last K checkpoints + safetensors + segmenter YAML")
    e.add_argument("--run-dir", required=True)
    e.add_argument("--swa", type=int, default=1, help="average the last K epoch checkpoints")
    e.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    e.add_argument("--out")
    e.add_argument("--eval", action="store_true", help="also print val box AP50 of the exported weights")
    e.add_argument("--cache", default=os.path.join(common.REPO, "_train", "cache"))
    v = sub.add_parser("eval", help="val box AP50 of the latest checkpoint (or --weights, a .pt)")
    v.add_argument("--run-dir", required=True)
    v.add_argument("--weights")
    v.add_argument("--limit", type=int, default=0)
    v.add_argument("--threads", type=int, default=1)
    v.add_argument("--cache", default=os.path.join(common.REPO, "_train", "cache"))
    a = ap.parse_args(argv)
    if a.cmd == "train":
        return train(a)
    if a.cmd == "export":
        torch.set_num_threads(1)
        return export(a)
    return eval_cmd(a)


if __name__ == "__main__":
    main()
