"""Mask R-CNN + FPN inference with MMDetection 2.x semantics (MODEL_SPEC §5), in plain PyTorch with
torchvision ops, for stage-by-stage parity tests. Parameter names are MMDetection's:
neck.lateral_convs.i.conv, neck.fpn_convs.i.conv, rpn_head.{rpn_conv,rpn_cls,rpn_reg},
roi_head.bbox_head.{shared_fcs.0,shared_fcs.1,fc_cls,fc_reg},
roi_head.mask_head.{convs.0..3.conv,upsample,conv_logits}.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

STRIDES = [4, 8, 16, 32, 64]
DELTA_CLAMP = abs(math.log(16.0 / 1000))


class ConvM(nn.Module):
    def __init__(self, cin, cout, k, pad=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=pad)


class FPN(nn.Module):
    def __init__(self, in_channels, out=256):
        super().__init__()
        self.lateral_convs = nn.ModuleList([ConvM(c, out, 1) for c in in_channels])
        self.fpn_convs = nn.ModuleList([ConvM(out, out, 3, 1) for _ in in_channels])

    def forward(self, feats):
        lat = [l.conv(f) for l, f in zip(self.lateral_convs, feats)]
        for i in range(len(lat) - 1, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[2:], mode="nearest")
        outs = [c.conv(l) for c, l in zip(self.fpn_convs, lat)]
        outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return outs


class RPNHead(nn.Module):
    def __init__(self, c=256, a=3):
        super().__init__()
        self.rpn_conv = nn.Conv2d(c, c, 3, padding=1)
        self.rpn_cls = nn.Conv2d(c, a, 1)
        self.rpn_reg = nn.Conv2d(c, a * 4, 1)

    def forward(self, feats):
        cls, reg = [], []
        for p in feats:
            t = F.relu(self.rpn_conv(p))
            cls.append(self.rpn_cls(t))
            reg.append(self.rpn_reg(t))
        return cls, reg


class BBoxHead(nn.Module):
    def __init__(self, c=256, num_classes=1, fc=1024):
        super().__init__()
        self.shared_fcs = nn.ModuleList([nn.Linear(c * 49, fc), nn.Linear(fc, fc)])
        self.fc_cls = nn.Linear(fc, num_classes + 1)
        self.fc_reg = nn.Linear(fc, 4 * num_classes)

    def forward(self, x):
        x = x.flatten(1)
        for f in self.shared_fcs:
            x = F.relu(f(x))
        return self.fc_cls(x), self.fc_reg(x)


class MaskHead(nn.Module):
    def __init__(self, c=256, num_classes=1):
        super().__init__()
        self.convs = nn.ModuleList([ConvM(c, c, 3, 1) for _ in range(4)])
        self.upsample = nn.ConvTranspose2d(c, c, 2, 2)
        self.conv_logits = nn.Conv2d(c, num_classes, 1)

    def forward(self, x):
        for c in self.convs:
            x = F.relu(c.conv(x))
        return self.conv_logits(F.relu(self.upsample(x)))


class RoIHead(nn.Module):
    def __init__(self, num_classes=1, width=256, fc=1024):
        super().__init__()
        self.bbox_head = BBoxHead(c=width, num_classes=num_classes, fc=fc)
        self.mask_head = MaskHead(c=width, num_classes=num_classes)


def anchors_for(feat_sizes, scales=(8.0,)):
    """mmdet 2.x AnchorGenerator (ratios 0.5/1/2, scale_major: ratio outer, scale inner; center offset 0)."""
    out = []
    sc = torch.tensor([float(v) for v in scales])
    for s, (h, w) in zip(STRIDES, feat_sizes):
        ratios = torch.tensor([0.5, 1.0, 2.0])
        hr = torch.sqrt(ratios)
        wr = 1 / hr
        ws = (s * wr[:, None] * sc[None, :]).view(-1)
        hs = (s * hr[:, None] * sc[None, :]).view(-1)
        base = torch.stack([-0.5 * ws, -0.5 * hs, 0.5 * ws, 0.5 * hs], -1)
        sx = torch.arange(w, dtype=torch.float32) * s
        sy = torch.arange(h, dtype=torch.float32) * s
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        shifts = torch.stack([xx.reshape(-1), yy.reshape(-1), xx.reshape(-1), yy.reshape(-1)], -1)
        out.append((shifts[:, None, :] + base[None]).reshape(-1, 4))
    return out


def delta2bbox(rois, deltas, means, stds, max_shape):
    d = deltas * torch.tensor(stds) + torch.tensor(means)
    dx, dy, dw, dh = d.unbind(-1)
    dw = dw.clamp(-DELTA_CLAMP, DELTA_CLAMP)
    dh = dh.clamp(-DELTA_CLAMP, DELTA_CLAMP)
    px = (rois[:, 0] + rois[:, 2]) * 0.5
    py = (rois[:, 1] + rois[:, 3]) * 0.5
    pw = rois[:, 2] - rois[:, 0]
    ph = rois[:, 3] - rois[:, 1]
    gw = pw * dw.exp()
    gh = ph * dh.exp()
    gx = px + pw * dx
    gy = py + ph * dy
    x1, y1, x2, y2 = gx - gw * 0.5, gy - gh * 0.5, gx + gw * 0.5, gy + gh * 0.5
    H, W = max_shape
    return torch.stack([x1.clamp(0, W), y1.clamp(0, H), x2.clamp(0, W), y2.clamp(0, H)], -1)


def rpn_proposals(cls, reg, img_shape, nms_pre=1000, iou=0.01, max_per_img=1000, scales=(8.0,)):
    sizes = [c.shape[2:] for c in cls]
    anchors = anchors_for(sizes, scales)
    all_s, all_b, all_a, ids = [], [], [], []
    for lvl, (c, r, a) in enumerate(zip(cls, reg, anchors)):
        s = c[0].permute(1, 2, 0).reshape(-1).sigmoid()
        b = r[0].permute(1, 2, 0).reshape(-1, 4)
        if s.numel() > nms_pre:
            s, idx = s.sort(descending=True)
            s, idx = s[:nms_pre], idx[:nms_pre]
            b, a = b[idx], a[idx]
        all_s.append(s)
        all_b.append(b)
        all_a.append(a)
        ids.append(torch.full((s.numel(),), lvl, dtype=torch.long))
    s, b, a, ids = torch.cat(all_s), torch.cat(all_b), torch.cat(all_a), torch.cat(ids)
    boxes = delta2bbox(a, b, [0, 0, 0, 0], [1, 1, 1, 1], img_shape)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (w > 0) & (h > 0)
    boxes, s, ids = boxes[keep], s[keep], ids[keep]
    k = torchvision.ops.batched_nms(boxes, s, ids, iou)[:max_per_img]
    return torch.cat([boxes[k], s[k, None]], 1)


def map_levels(rois, n=4, finest=56):
    scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    return torch.floor(torch.log2(scale / finest + 1e-6)).clamp(0, n - 1).long()


def roi_extract(feats, rois, out):
    lv = map_levels(rois)
    res = torch.zeros(rois.shape[0], feats[0].shape[1], out, out)
    for i in range(4):
        m = lv == i
        if m.any():
            res[m] = torchvision.ops.roi_align(feats[i], rois[m], out, 1.0 / STRIDES[i], 0, aligned=True)
    return res, lv


def multiclass_nms(boxes, scores, thr=0.05, iou=0.2, max_num=100):
    s = scores[:, 0]
    m = s > thr
    b, s = boxes[m], s[m]
    k = torchvision.ops.nms(b, s, iou)[:max_num]
    return torch.cat([b[k], s[k, None]], 1)


def paste_masks(probs, boxes, h, w):
    """_do_paste_mask with skip_empty=False (the GPU path the authors ran)."""
    n = probs.shape[0]
    x0, y0, x1, y1 = boxes[:, 0:1], boxes[:, 1:2], boxes[:, 2:3], boxes[:, 3:4]
    iy = torch.arange(0, h, dtype=torch.float32) + 0.5
    ix = torch.arange(0, w, dtype=torch.float32) + 0.5
    iy = (iy - y0) / (y1 - y0) * 2 - 1
    ix = (ix - x0) / (x1 - x0) * 2 - 1
    ix[torch.isinf(ix)] = 0
    iy[torch.isinf(iy)] = 0
    gx = ix[:, None, :].expand(n, h, w)
    gy = iy[:, :, None].expand(n, h, w)
    grid = torch.stack([gx, gy], 3)
    return F.grid_sample(probs, grid, align_corners=False)[:, 0]


class MaskRCNN(nn.Module):
    def __init__(self, backbone, in_channels, num_classes=1, width=256, fc=1024, anchor_scales=(8.0,)):
        """width: FPN/head channels (256 in MMDetection), fc: Shared2FC width (1024); smaller values make
        fast test cases with the same structure. anchor_scales: the AnchorGenerator's `scales` (mmdet's [8]);
        the RPN head predicts 3 ratios x len(anchor_scales) anchors per cell."""
        super().__init__()
        self.backbone = backbone
        self.anchor_scales = tuple(float(v) for v in anchor_scales)
        self.neck = FPN(in_channels, width)
        self.rpn_head = RPNHead(width, 3 * len(self.anchor_scales))
        self.roi_head = RoIHead(num_classes, width, fc)

    def forward_stages(self, x, img_shape, ori_shape, scale_factor=1.0, cfg=None, proposals=None, det=None):
        """Run every stage and return a dict of named tensors. `proposals`/`det` inject the reference's
        own proposals / final boxes into later stages (the tests do the same on the C side)."""
        cfg = cfg or {}
        out = {}
        feats = self.backbone(x)
        fpn = self.neck(feats)
        for i, f in enumerate(fpn):
            out[f"fpn.{i}"] = f
        cls, reg = self.rpn_head(fpn)
        for i in range(5):
            out[f"rpn_cls.{i}"] = cls[i]
            out[f"rpn_reg.{i}"] = reg[i]
        props = rpn_proposals(cls, reg, img_shape, cfg.get("nms_pre", 1000), cfg.get("rpn_iou", 0.01),
                              cfg.get("rpn_max", 1000), self.anchor_scales)
        out["proposals"] = props
        p = props if proposals is None else proposals
        rois = torch.cat([torch.zeros(p.shape[0], 1), p[:, :4]], 1)
        rf, lv = roi_extract(fpn[:4], rois, 7)
        out["roi_levels"] = lv.float()
        cs, bp = self.roi_head.bbox_head(rf)
        out["cls_score"], out["bbox_pred"] = cs, bp
        scores = F.softmax(cs, -1)
        boxes = delta2bbox(p[:, :4], bp, [0, 0, 0, 0], [0.1, 0.1, 0.2, 0.2], img_shape) / scale_factor
        dets = multiclass_nms(boxes, scores, cfg.get("score_thr", 0.05), cfg.get("rcnn_iou", 0.2),
                              cfg.get("max_per_img", 100))
        out["dets"] = dets
        d = dets if det is None else det
        mrois = torch.cat([torch.zeros(d.shape[0], 1), d[:, :4] * scale_factor], 1)
        mf, _ = roi_extract(fpn[:4], mrois, 14)
        logits = self.roi_head.mask_head(mf)
        out["mask_logits"] = logits
        prob = logits.sigmoid()
        pasted = paste_masks(prob, d[:, :4], ori_shape[0], ori_shape[1])
        out["mask_pasted"] = pasted
        out["masks"] = (pasted >= cfg.get("mask_thr", 0.2)).float()
        return out
