"""Fixtures for tests/tools/test_convert.c, generated at test time (no binary blobs in the repo).

Usage: /usr/bin/python3 convert_fixtures.py OUTDIR
Values follow formulas the C test recomputes: x[i] = i * 0.1 - 1 (float32 arithmetic) unless noted.
"""
import os
import re
import sys

import torch
import torchvision


def ramp(*shape, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float32) * 0.1 - 1.0).reshape(shape).to(dtype)


def main(out):
    plain = {
        "backbone.a.weight": ramp(2, 3, 4),
        "backbone.b.half": ramp(5, dtype=torch.float16),
        "backbone.c.bf16": ramp(3, dtype=torch.bfloat16),
        "backbone.d.f64": ramp(2, 2, dtype=torch.float64),
        "backbone.bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "head.fc.bias": ramp(2),
    }
    torch.save(plain, os.path.join(out, "plain.pth"))
    torch.save({"state_dict": {"module." + k: v for k, v in plain.items()},
                "meta": {"epoch": 12, "note": "mmcv style"}, "optimizer": {"state": {}}},
               os.path.join(out, "wrapped.pth"))
    torch.save(dict(plain, **{"foo.bar": ramp(1)}), os.path.join(out, "mm_unknown.pth"))
    torch.save({"head.fc.weight": torch.full((2,), 70000.0)}, os.path.join(out, "overflow.pth"))

    torch.manual_seed(0)
    b0 = torchvision.models.efficientnet_b0().state_dict()
    # tv features.5.0 (first 112-channel block) becomes mm layers.4.3 (after features.4's 3 blocks)
    b0["features.5.0.block.1.0.weight"] = ramp(*b0["features.5.0.block.1.0.weight"].shape)
    b0["classifier.1.bias"] = ramp(1000)
    torch.save(b0, os.path.join(out, "tv_b0.pth"))
    torch.save(dict(b0, **{"features.9.0.weight": ramp(3)}), os.path.join(out, "tv_b0_unknown.pth"))
    missing = dict(b0)
    del missing["features.8.1.running_var"]
    torch.save(missing, os.path.join(out, "tv_b0_missing.pth"))

    # a 2-class fine-tune (the paper's classifier head) in torchvision names, and the same weights in timm
    # names (timm's EfficientNet module names, mapped here by hand from torchvision's block layout)
    tv2 = torchvision.models.efficientnet_b0(num_classes=2).state_dict()
    tv2["features.5.0.block.1.0.weight"] = ramp(*tv2["features.5.0.block.1.0.weight"].shape)
    tv2["classifier.1.bias"] = ramp(2)
    torch.save(tv2, os.path.join(out, "tv_b0_2cls.pth"))

    def tv_to_timm(k):
        top = {"features.0.0": "conv_stem", "features.0.1": "bn1", "features.8.0": "conv_head",
               "features.8.1": "bn2", "classifier.1": "classifier"}
        m = re.fullmatch(r"(features\.[08]\.[01]|classifier\.1)\.(\w+)", k)
        if m:
            return f"{top[m.group(1)]}.{m.group(2)}"
        m = re.fullmatch(r"features\.(\d)\.(\d+)\.block\.(\d)\.(\w+)\.(\w+)", k)
        stage, j, sub, mod, param = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        expands = f"features.{stage}.{j}.block.3.0.weight" in tv2
        if expands:  # InvertedResidual: expand, depthwise, SE, project
            name = {("0", "0"): "conv_pw", ("0", "1"): "bn1", ("1", "0"): "conv_dw", ("1", "1"): "bn2",
                    ("2", "fc1"): "se.conv_reduce", ("2", "fc2"): "se.conv_expand", ("3", "0"): "conv_pwl",
                    ("3", "1"): "bn3"}[(sub, mod)]
        else:  # DepthwiseSeparableConv: depthwise, SE, pointwise
            name = {("0", "0"): "conv_dw", ("0", "1"): "bn1", ("1", "fc1"): "se.conv_reduce",
                    ("1", "fc2"): "se.conv_expand", ("2", "0"): "conv_pw", ("2", "1"): "bn2"}[(sub, mod)]
        return f"blocks.{stage - 1}.{j}.{name}.{param}"

    torch.save({"state_dict": {tv_to_timm(k): v for k, v in tv2.items()}}, os.path.join(out, "timm_b0_2cls.pth"))

    ct = torchvision.models.convnext_tiny().state_dict()
    ct["features.5.4.layer_scale"] = ramp(384, 1, 1)
    torch.save({"model": ct}, os.path.join(out, "tv_convnext_t.pth"))

    # timm names for the same weights (inverse of the tables, written independently here)
    def to_timm(k):
        m = re.fullmatch(r"features\.0\.([01])\.(.+)", k)
        if m:
            return f"stem.{m.group(1)}.{m.group(2)}"
        m = re.fullmatch(r"features\.([246])\.([01])\.(.+)", k)
        if m:
            return f"stages.{int(m.group(1)) // 2}.downsample.{m.group(2)}.{m.group(3)}"
        m = re.fullmatch(r"features\.([1357])\.(\d+)\.layer_scale", k)
        if m:
            return f"stages.{int(m.group(1)) // 2}.blocks.{m.group(2)}.gamma"
        m = re.fullmatch(r"features\.([1357])\.(\d+)\.block\.(\d)\.(.+)", k)
        if m:
            sub = {"0": "conv_dw", "2": "norm", "3": "mlp.fc1", "5": "mlp.fc2"}[m.group(3)]
            return f"stages.{int(m.group(1)) // 2}.blocks.{m.group(2)}.{sub}.{m.group(4)}"
        return {"classifier.0.weight": "head.norm.weight", "classifier.0.bias": "head.norm.bias",
                "classifier.2.weight": "head.fc.weight", "classifier.2.bias": "head.fc.bias"}[k]

    timm = {to_timm(k): (v.reshape(-1) if k.endswith("layer_scale") else v) for k, v in ct.items()}
    torch.save({"state_dict": timm}, os.path.join(out, "timm_convnext_t.pth"))


if __name__ == "__main__":
    main(sys.argv[1])
