"""Rename tables: torchvision and timm ConvNeXt -> mmpretrain/mmcls ConvNeXt names (MODEL_SPEC §3).

mm names: backbone.downsample_layers.0.{0 stem conv, 1 LN}, downsample_layers.i.{0 LN, 1 conv} (i=1..3),
backbone.stages.i.j.{depthwise_conv, norm, pointwise_conv1, pointwise_conv2, gamma}, and for a
classifier backbone.norm3 (the final LN, applied after pooling) + head.fc. Detection checkpoints add
backbone.norm0..3 instead; neither torchvision nor timm classifiers have those.
torchvision: features.0.{0,1} stem; features.{1,3,5,7} stages with block.{0 dwconv, 2 LN, 3 pw1,
5 pw2} and layer_scale (shape [C,1,1] -> mm gamma [C]); features.{2,4,6} downsample {0 LN, 1 conv};
classifier.{0 LN, 2 fc}.
timm: stem.{0,1}; stages.i.downsample.{0,1}; stages.i.blocks.j.{conv_dw, norm, mlp.fc1, mlp.fc2, gamma};
head.{norm, fc}.
"""
import re

ARCHS = {"tiny": "convnext_tiny", "small": "convnext_small", "base": "convnext_base", "large": "convnext_large"}
_DIMS = {96: None, 128: "base", 192: "large"}  # tiny/small share 96; told apart by depth

_TV_BLOCK = {"0": "depthwise_conv", "2": "norm", "3": "pointwise_conv1", "5": "pointwise_conv2"}


def tv_rename(k):
    """torchvision key -> (mm key, reshape-to-1d flag) or None."""
    m = re.fullmatch(r"features\.0\.([01])\.(weight|bias)", k)
    if m:
        return f"backbone.downsample_layers.0.{m.group(1)}.{m.group(2)}", False
    m = re.fullmatch(r"features\.([246])\.([01])\.(weight|bias)", k)
    if m:
        return f"backbone.downsample_layers.{int(m.group(1)) // 2}.{m.group(2)}.{m.group(3)}", False
    m = re.fullmatch(r"features\.([1357])\.(\d+)\.layer_scale", k)
    if m:
        return f"backbone.stages.{int(m.group(1)) // 2}.{m.group(2)}.gamma", True
    m = re.fullmatch(r"features\.([1357])\.(\d+)\.block\.(\d)\.(weight|bias)", k)
    if m and m.group(3) in _TV_BLOCK:
        return f"backbone.stages.{int(m.group(1)) // 2}.{m.group(2)}.{_TV_BLOCK[m.group(3)]}.{m.group(4)}", False
    m = re.fullmatch(r"classifier\.0\.(weight|bias)", k)
    if m:
        return f"backbone.norm3.{m.group(1)}", False
    m = re.fullmatch(r"classifier\.2\.(weight|bias)", k)
    if m:
        return f"head.fc.{m.group(1)}", False
    return None


_TIMM_BLOCK = {"conv_dw": "depthwise_conv", "norm": "norm", "mlp.fc1": "pointwise_conv1",
               "mlp.fc2": "pointwise_conv2"}


def timm_rename(k):
    """timm key -> (mm key, reshape-to-1d flag) or None."""
    m = re.fullmatch(r"stem\.([01])\.(weight|bias)", k)
    if m:
        return f"backbone.downsample_layers.0.{m.group(1)}.{m.group(2)}", False
    m = re.fullmatch(r"stages\.([123])\.downsample\.([01])\.(weight|bias)", k)
    if m:
        return f"backbone.downsample_layers.{m.group(1)}.{m.group(2)}.{m.group(3)}", False
    m = re.fullmatch(r"stages\.([0-3])\.blocks\.(\d+)\.gamma", k)
    if m:
        return f"backbone.stages.{m.group(1)}.{m.group(2)}.gamma", True
    m = re.fullmatch(r"stages\.([0-3])\.blocks\.(\d+)\.(conv_dw|norm|mlp\.fc1|mlp\.fc2)\.(weight|bias)", k)
    if m:
        return f"backbone.stages.{m.group(1)}.{m.group(2)}.{_TIMM_BLOCK[m.group(3)]}.{m.group(4)}", False
    m = re.fullmatch(r"head\.norm\.(weight|bias)", k)
    if m:
        return f"backbone.norm3.{m.group(1)}", False
    m = re.fullmatch(r"head\.fc\.(weight|bias)", k)
    if m:
        return f"head.fc.{m.group(1)}", False
    return None


def detect_arch(mm_sd):
    """tiny/small/base/large from the stem width and the depth of stage 2 (mm names)."""
    stem = mm_sd.get("backbone.downsample_layers.0.0.weight")
    if stem is None or stem.shape[0] not in _DIMS:
        return None
    depth2 = 0
    while f"backbone.stages.2.{depth2}.depthwise_conv.weight" in mm_sd:
        depth2 += 1
    if stem.shape[0] == 96:
        return "tiny" if depth2 == 9 else "small" if depth2 == 27 else None
    return _DIMS[stem.shape[0]] if depth2 == 27 else None


def reference_state_dict(arch):
    """mm-named state dict of torchvision's ConvNeXt `arch` (random weights; names/shapes only)."""
    import torchvision

    sd = getattr(torchvision.models, ARCHS[arch])().state_dict()
    out = {}
    for k, v in sd.items():
        name, flat = tv_rename(k)
        out[name] = v.reshape(-1) if flat else v
    return out
