"""Rename table: torchvision EfficientNet (B0-B7) -> mmpretrain EfficientNet names (MODEL_SPEC §2.5).

torchvision: features.0 stem, features.1..7 one Sequential per base stage (16, 24, 40, 80, 112, 192, 320
channels before width scaling), features.8 the final 1x1 conv, classifier.1 the Linear.
mmpretrain: layers.0 stem, layers.1..5, layers.6 final conv; model_scaling() merges a stage whose first
block has stride 1 into the previous layer, which for every arch means tv stage 5 (112) joins layers.4
and tv stage 7 (320) joins layers.5, their blocks numbered after the previous stage's.
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
