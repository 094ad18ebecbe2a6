#!/usr/bin/env python3
"""Generate a Mask R-CNN parity case (MODEL_SPEC §5): random weights with MMDetection names for a
backbone + FPN + RPN + RoI heads, an input, and every stage's expected tensors.

    /usr/bin/python3 tools/ref/gen_maskrcnn.py --backbone convnext --out DIR [--size 64,64]

Writes DIR/weights.safetensors and DIR/io.safetensors: input, fpn.0-4, rpn_cls.0-4, rpn_reg.0-4,
proposals [R,5], roi_levels, cls_score, bbox_pred, dets [D,5], mask_logits [D,1,28,28],
mask_pasted [D,H,W], masks. The RoI stages use the reference's own proposals and boxes, so the C side
can inject them and compare each stage on its own (NMS at IoU 0.01 is sensitive to tiny differences).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convnext_mm  # noqa: E402
import efficientnet_mm  # noqa: E402
import internimage_ref  # noqa: E402
import maskrcnn_ref  # noqa: E402
import st_io  # noqa: E402
from gen_backbone import ints, randomise  # noqa: E402


class EffNetFeatures(torch.nn.Module):
    """EfficientNet backbone returning layers 2..5 (strides 4, 8, 16, 32) for the FPN."""

    def __init__(self, width, depth):
        super().__init__()
        self.net = efficientnet_mm.Backbone(width, depth)

    def forward(self, x):
        f = self.net(x)
        return f[2:6]


def build_backbone(name, a):
    if name == "convnext":
        depths, dims = ints(a.depths or "1,1,2,1"), ints(a.dims or "16,32,48,64")
        m = convnext_mm.Backbone(depths, dims, downsample_eps=a.downsample_eps)
        return m, dims, (lambda x: m(x)[1]), "backbone."
    if name == "internimage":
        ch = a.channels or 16
        m = internimage_ref.Backbone(channels=ch, depths=ints(a.depths or "1,1,2,1"),
                                     groups=ints(a.groups or "1,2,4,8"), offset_scale=a.offset_scale,
                                     post_norm=bool(a.post_norm))
        return m, [ch, 2 * ch, 4 * ch, 8 * ch], m, "backbone."
    m = EffNetFeatures(a.width, a.depth)
    chans = [m.net.layers[i][-1].linear_conv.conv.out_channels for i in range(2, 6)]
    return m, chans, m, "backbone."


class Fwd(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbone", default="convnext", choices=["convnext", "internimage", "efficientnet"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", default="64,64")
    ap.add_argument("--depths")
    ap.add_argument("--dims")
    ap.add_argument("--channels", type=int)
    ap.add_argument("--groups")
    ap.add_argument("--offset-scale", type=float, default=2.0)
    ap.add_argument("--post-norm", type=int, default=1)
    # hemovk's ConvNeXt default for the detectors (hv_convnext_params.downsample_eps 0 -> 1e-5: mmcls 0.x under
    # mmdet 2.x, the authors' stack); a reference at another eps would differ by an amount the tolerances hide
    ap.add_argument("--downsample-eps", type=float, default=1e-5, help="ConvNeXt downsample LayerNorm eps")
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--depth", type=float, default=0.34)
    ap.add_argument("--image", help="a PNG frame to use instead of random pixels (normalised as in §1.2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fpn-width", type=int, default=256, help="FPN and head channels (256)")
    ap.add_argument("--fc", type=int, default=1024, help="Shared2FC width (1024)")
    ap.add_argument("--anchor-scales", default="8", help="AnchorGenerator scales, comma-separated (mmdet's 8)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed + 1)
    os.makedirs(a.out, exist_ok=True)

    bb, chans, fwd, prefix = build_backbone(a.backbone, a)
    model = maskrcnn_ref.MaskRCNN(Fwd(fwd), chans, 1, a.fpn_width, a.fc,
                                  anchor_scales=[float(v) for v in a.anchor_scales.split(",")])
    randomise(bb, gen)
    model.eval()
    if a.image:
        import numpy as np
        from PIL import Image
        img = np.asarray(Image.open(a.image).convert("RGB"), dtype=np.float32)
        mean = np.array([123.675, 116.28, 103.53], np.float32)
        std = np.array([58.395, 57.12, 57.375], np.float32)
        x = torch.from_numpy(((img - mean) / std).transpose(2, 0, 1).copy())[None]
    else:
        h, w = ints(a.size)
        x = torch.randn(1, 3, h, w, generator=gen)
    H, W = x.shape[2:]
    with torch.no_grad():
        io = model.forward_stages(x, (H, W), (H, W))
    io["input"] = x
    # EfficientNet is wrapped (EffNetFeatures.net): save the mmpretrain names, backbone.layers.*
    sd = {prefix + k: v for k, v in getattr(bb, "net", bb).state_dict().items()}
    sd.update({k: v for k, v in model.state_dict().items() if not k.startswith("backbone.")})
    st_io.save(os.path.join(a.out, "weights.safetensors"), sd)
    st_io.save(os.path.join(a.out, "io.safetensors"), io, {"backbone": a.backbone, "fpn_in": chans})
    print(f"wrote {a.out}: " + ", ".join(f"{k}{list(v.shape)}" for k, v in io.items()))


if __name__ == "__main__":
    main()
