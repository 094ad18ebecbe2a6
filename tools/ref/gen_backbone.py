#!/usr/bin/env python3
"""Generate a backbone parity case: random weights (canonical mmpretrain/MMDetection names), an input
and the expected outputs of every feature level (and logits), from the plain-PyTorch references here.

    /usr/bin/python3 tools/ref/gen_backbone.py efficientnet --arch b0 --width 0.25 --depth 0.34 --out DIR
    /usr/bin/python3 tools/ref/gen_backbone.py convnext --depths 1,1,2,1 --dims 16,32,48,64 --out DIR
    /usr/bin/python3 tools/ref/gen_backbone.py internimage --arch xl --out DIR

Writes DIR/weights.safetensors and DIR/io.safetensors (input, feat.<i>, logits where there is a head,
and probs = softmax(logits)).
With --image PNG the input is that frame as raw RGB 0-255 floats, 1x3xHxW at its native size (MODEL_SPEC
§1.1, the paper's classifier input), instead of random values; --size and --batch are then ignored.
With --torchvision (efficientnet/convnext) the reference is torchvision's model instead, saved as
DIR/torchvision.pth so tests also exercise tools/convert_checkpoint.py's rename tables.
Weights are random but not trivial: BatchNorm statistics, LayerNorm affines and layer scales are
randomised so that folding and normalisation bugs show up.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convnext_mm  # noqa: E402
import efficientnet_mm  # noqa: E402
import internimage_ref  # noqa: E402
import st_io  # noqa: E402


def ints(s):
    return [int(v) for v in s.split(",")]


def randomise(model, gen):
    """Non-trivial norm statistics/affines and layer scales; conv/linear weights keep their init."""
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5, generator=gen)
            mod.running_var.uniform_(0.5, 2.0, generator=gen)
            mod.weight.data.uniform_(0.5, 1.5, generator=gen)
            mod.bias.data.uniform_(-0.5, 0.5, generator=gen)
        elif isinstance(mod, torch.nn.LayerNorm):
            mod.weight.data.uniform_(0.5, 1.5, generator=gen)
            mod.bias.data.uniform_(-0.3, 0.3, generator=gen)
    for name, p in model.named_parameters():
        if name.endswith("gamma") or name.endswith("gamma1") or name.endswith("gamma2") or name.endswith("layer_scale"):
            p.data.uniform_(0.5, 1.5, generator=gen)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=["efficientnet", "convnext", "internimage"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--arch")
    ap.add_argument("--width", type=float)
    ap.add_argument("--depth", type=float)
    ap.add_argument("--padding", default="tf_same", choices=["tf_same", "symmetric"])
    ap.add_argument("--eps", type=float, default=1e-3, help="EfficientNet BN eps")
    ap.add_argument("--depths")
    ap.add_argument("--dims")
    ap.add_argument("--channels", type=int)
    ap.add_argument("--groups")
    ap.add_argument("--offset-scale", type=float)
    ap.add_argument("--post-norm", type=int)
    ap.add_argument("--downsample-eps", type=float, default=1e-6)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--torchvision", action="store_true")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", default="64,64", help="input H,W")
    ap.add_argument("--input-scale", type=float, default=1.0, help="input uniform in [0, scale)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--image", help="PNG/JPEG frame to use as the input (raw RGB 0-255, native size)")
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed + 1)
    os.makedirs(a.out, exist_ok=True)
    h, w = ints(a.size)
    x = torch.rand(a.batch, 3, h, w, generator=gen) * a.input_scale
    if a.image:
        import numpy as np
        from PIL import Image
        rgb = np.asarray(Image.open(a.image).convert("RGB"), dtype=np.float32)  # HWC uint8 values, RGB order
        x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()
    io = {"input": x}
    meta = {"model": a.model}

    with torch.no_grad():
        if a.model == "efficientnet":
            arch = a.arch or "b0"
            if a.torchvision:
                import torchvision
                tv = getattr(torchvision.models, f"efficientnet_{arch}")(num_classes=a.classes)
                randomise(tv, gen)
                tv.eval()
                torch.save(tv.state_dict(), os.path.join(a.out, "torchvision.pth"))
                feats, cur = [], x
                for f in tv.features:
                    cur = f(cur)
                    feats.append(cur)
                # torchvision features.1..7 are mmpretrain layers 1..5 with merges; keep only the ends
                # that exist in both (stem, last conv) plus logits.
                io["feat.0"], io["feat.6"] = feats[0], feats[-1]
                io["logits"] = tv(x)
            else:
                m = efficientnet_mm.Classifier(arch, a.width, a.depth, a.classes, a.eps, a.padding)
                randomise(m, gen)
                m.eval()
                feats, logits = m(x)
                for i, f in enumerate(feats):
                    io[f"feat.{i}"] = f
                io["logits"] = logits
                st_io.save(os.path.join(a.out, "weights.safetensors"), m.state_dict())
        elif a.model == "convnext":
            depths, dims = convnext_mm.ARCH[a.arch or "tiny"]
            depths = ints(a.depths) if a.depths else depths
            dims = ints(a.dims) if a.dims else dims
            if a.torchvision:
                import torchvision
                from torchvision.models.convnext import CNBlockConfig, ConvNeXt
                cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
                tv = ConvNeXt(cfg, num_classes=a.classes)
                randomise(tv, gen)
                tv.eval()
                torch.save(tv.state_dict(), os.path.join(a.out, "torchvision.pth"))
                cur, k = x, 0
                for i, f in enumerate(tv.features):
                    cur = f(cur)
                    if i % 2 == 1:
                        io[f"feat.{k}"] = cur
                        k += 1
                io["logits"] = tv(x)
            else:
                m = convnext_mm.Backbone(depths, dims, downsample_eps=a.downsample_eps)
                head = convnext_mm.Head(dims[3], a.classes)
                randomise(m, gen)
                m.eval()
                raw, outs = m(x)
                for i in range(4):
                    io[f"stage.{i}"] = raw[i]
                    io[f"feat.{i}"] = outs[i]
                pooled = raw[3].mean((2, 3))
                pooled = torch.nn.functional.layer_norm(pooled, pooled.shape[-1:], m.norm3.weight, m.norm3.bias, 1e-6)
                io["logits"] = head.fc(pooled)
                sd = {f"backbone.{k}": v for k, v in m.state_dict().items()}
                sd.update({f"head.{k}": v for k, v in head.state_dict().items()})
                st_io.save(os.path.join(a.out, "weights.safetensors"), sd)
        else:
            ch, depths, groups, osc, post, ratio = internimage_ref.ARCH[a.arch or "t"]
            ch = a.channels or ch
            depths = ints(a.depths) if a.depths else depths
            groups = ints(a.groups) if a.groups else groups
            osc = a.offset_scale if a.offset_scale is not None else osc
            post = bool(a.post_norm) if a.post_norm is not None else post
            m = internimage_ref.Wrapper(channels=ch, depths=depths, groups=groups, offset_scale=osc,
                                        post_norm=post, mlp_ratio=ratio)
            randomise(m, gen)
            m.eval()
            for i, f in enumerate(m(x)):
                io[f"feat.{i}"] = f
            st_io.save(os.path.join(a.out, "weights.safetensors"), m.state_dict())
            meta.update(channels=ch, depths=depths, groups=groups, offset_scale=osc, post_norm=post)
    if "logits" in io:
        io["probs"] = torch.softmax(io["logits"], dim=1)
    st_io.save(os.path.join(a.out, "io.safetensors"), io, meta)
    print(f"wrote {a.out}: " + ", ".join(f"{k}{list(v.shape)}" for k, v in io.items()))


if __name__ == "__main__":
    main()
