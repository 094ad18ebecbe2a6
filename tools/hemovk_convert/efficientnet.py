"""Rename tables: torchvision and timm EfficientNet (B0-B7) -> mmpretrain EfficientNet names (MODEL_SPEC §2.5).

torchvision: features.0 stem, features.1..7 one Sequential per base stage (16, 24, 40, 80, 112, 192, 320
channels before width scaling), features.8 the final 1x1 conv, classifier.1 the Linear.
mmpretrain: layers.0 stem, layers.1..5, layers.6 final conv; model_scaling() merges a stage whose first
block has stride 1 into the previous layer, which for every arch means tv stage 5 (112) joins layers.4
and tv stage 7 (320) joins layers.5, their blocks numbered after the previous stage's.

timm (efficientnet_b*, tf_efficientnet_b*): conv_stem + bn1, blocks.0..6 (= torchvision features.1..7),
each block either a DepthwiseSeparableConv {conv_dw, bn1, se, conv_pw, bn2} (no expansion) or an
InvertedResidual {conv_pw, bn1, conv_dw, bn2, se, conv_pwl, bn3}; se.{conv_reduce, conv_expand};
conv_head + bn2; classifier. timm names are first mapped to torchvision's, then the torchvision table
applies, so the merged-stage numbering lives in one place. (timm's efficientnet_b* use symmetric padding
and BN eps 1e-5, tf_efficientnet_b* TF-"same" padding and eps 1e-3: set the backbone's params to match.)
"""
import re

# torchvision feature stage -> (mm layer, index of the tv stage whose blocks come first in that layer)
_STAGE_TO_LAYER = {1: (1, None), 2: (2, None), 3: (3, None), 4: (4, None), 5: (4, 4), 6: (5, None), 7: (5, 6)}

# tv sub-module index inside `block` -> mm module, for blocks with and without the expand conv.
_WITH_EXPAND = {"0": "expand_conv", "1": "depthwise_conv", "2": "se", "3": "linear_conv"}
_NO_EXPAND = {"0": "depthwise_conv", "1": "se", "2": "linear_conv"}

ARCHS = {f"b{i}": f"efficientnet_b{i}" for i in range(8)}


def _conv_bn(rest):
    """'0.weight' -> 'conv.weight', '1.running_mean' -> 'bn.running_mean' (Conv2dNormActivation)."""
    m = re.fullmatch(r"([01])\.(.+)", rest)
    if not m:
        return None
    return ("conv." if m.group(1) == "0" else "bn.") + m.group(2)


# timm block module -> torchvision `block` sub-module, for inverted-residual and depthwise-separable blocks
_TIMM_IR = {"conv_pw": "0.0", "bn1": "0.1", "conv_dw": "1.0", "bn2": "1.1", "se.conv_reduce": "2.fc1",
            "se.conv_expand": "2.fc2", "conv_pwl": "3.0", "bn3": "3.1"}
_TIMM_DS = {"conv_dw": "0.0", "bn1": "0.1", "se.conv_reduce": "1.fc1", "se.conv_expand": "1.fc2",
            "conv_pw": "2.0", "bn2": "2.1"}
_TIMM_TOP = {"conv_stem": "features.0.0", "bn1": "features.0.1", "conv_head": "features.8.0",
             "bn2": "features.8.1", "classifier": "classifier.1"}


def make_timm_to_torchvision(keys):
    """Return to_tv(timm_key) -> torchvision key or None, for a checkpoint with these timm keys."""
    keys = set(keys)

    def to_tv(k):
        m = re.fullmatch(r"(conv_stem|bn1|conv_head|bn2|classifier)\.([a-z_]+)", k)
        if m:
            return f"{_TIMM_TOP[m.group(1)]}.{m.group(2)}"
        m = re.fullmatch(r"blocks\.([0-6])\.(\d+)\.(conv_pw|conv_dw|conv_pwl|bn[123]|se\.conv_reduce|se\.conv_expand)"
                         r"\.([a-z_]+)", k)
        if not m:
            return None
        s, j, module, param = m.groups()
        inverted = f"blocks.{s}.{j}.conv_pwl.weight" in keys
        sub = (_TIMM_IR if inverted else _TIMM_DS).get(module)
        return sub and f"features.{int(s) + 1}.{j}.block.{sub}.{param}"

    return to_tv


def make_renamer(keys):
    """Return rename(tv_key) -> mm_key or None, for a checkpoint with these tv keys (the block counts
    of tv stages 4 and 6 number the merged stages' blocks)."""
    keys = set(keys)
    # blocks per tv stage (needed to number the merged stages) and which blocks expand
    blocks = {}
    for k in keys:
        m = re.match(r"features\.(\d+)\.(\d+)\.block\.", k)
        if m:
            s, j = int(m.group(1)), int(m.group(2))
            blocks[s] = max(blocks.get(s, 0), j + 1)

    def rename(k):
        m = re.fullmatch(r"features\.0\.(.+)", k)
        if m:
            r = _conv_bn(m.group(1))
            return r and "backbone.layers.0." + r
        m = re.fullmatch(r"features\.8\.(.+)", k)
        if m:
            r = _conv_bn(m.group(1))
            return r and "backbone.layers.6." + r
        m = re.fullmatch(r"classifier\.1\.(weight|bias)", k)
        if m:
            return "head.fc." + m.group(1)
        m = re.fullmatch(r"features\.([1-7])\.(\d+)\.block\.(\d)\.(.+)", k)
        if not m:
            return None
        s, j, sub, rest = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        layer, first = _STAGE_TO_LAYER[s]
        if first is not None:
            j += blocks.get(first, 0)
        expands = f"features.{s}.{m.group(2)}.block.3.0.weight" in keys
        module = (_WITH_EXPAND if expands else _NO_EXPAND).get(sub)
        if module is None:
            return None
        if module == "se":
            mm = re.fullmatch(r"fc([12])\.(weight|bias)", rest)
            tail = mm and f"conv{mm.group(1)}.conv.{mm.group(2)}"
        else:
            tail = _conv_bn(rest)
        return tail and f"backbone.layers.{layer}.{j}.{module}.{tail}"

    return rename


def make_table(keys):
    """Like make_renamer, in the (mm_key, reshape-to-1d) form the converter uses for every table."""
    rename = make_renamer(keys)

    def table(k):
        name = rename(k)
        return None if name is None else (name, False)

    return table


def detect_arch(sd):
    """Pick b0..b7 from the stem width and the block counts (torchvision's own depth rounding)."""
    import math

    width = {"b0": 1.0, "b1": 1.0, "b2": 1.1, "b3": 1.2, "b4": 1.4, "b5": 1.6, "b6": 1.8, "b7": 2.0}
    depth = {"b0": 1.0, "b1": 1.1, "b2": 1.2, "b3": 1.4, "b4": 1.8, "b5": 2.2, "b6": 2.6, "b7": 3.1}
    base_repeats = [1, 2, 2, 3, 3, 4, 1]
    stem = sd.get("features.0.0.weight")
    counts = []
    for s in range(1, 8):
        n = 0
        while f"features.{s}.{n}.block.0.0.weight" in sd:
            n += 1
        counts.append(n)
    for arch in width:
        stem_c = max(8, int(32 * width[arch] + 4) // 8 * 8)
        if stem_c < 0.9 * 32 * width[arch]:
            stem_c += 8
        want = [int(math.ceil(r * depth[arch])) for r in base_repeats]
        if stem is not None and stem.shape[0] == stem_c and counts == want:
            return arch
    return None


def reference_state_dict(arch):
    """The torchvision model's state dict for `arch` (random weights; only names/shapes are used)."""
    import torchvision

    return getattr(torchvision.models, ARCHS[arch])().state_dict()
