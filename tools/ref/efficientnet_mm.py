"""Plain-PyTorch EfficientNet with mmpretrain's structure and parameter names (MODEL_SPEC §2).

Written from the published math so parity tests need no mmpretrain: `model_scaling`, TF-"SAME"
(Conv2dAdaptivePadding) or symmetric padding, BN(eps), Swish, squeeze-excitation, and
ImageClassifier(backbone, GAP, LinearClsHead). State-dict names are mmpretrain's:
backbone.layers.0.{conv,bn}, backbone.layers.i.j.{expand_conv,depthwise_conv,se.conv1,se.conv2,linear_conv},
backbone.layers.6.{conv,bn}, head.fc.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = {  # width, depth, nominal resolution (unused: the network runs at the input size)
    "b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
    "b4": (1.4, 1.8, 380), "b5": (1.6, 2.2, 456), "b6": (1.8, 2.6, 528), "b7": (2.0, 3.1, 600),
}
# [kernel, out_ch, se_ratio, stride, expand_ratio, block_type]
BASE = [[[3, 32, 0, 2, 0, -1]],
        [[3, 16, 4, 1, 1, 0]],
        [[3, 24, 4, 2, 6, 0], [3, 24, 4, 1, 6, 0]],
        [[5, 40, 4, 2, 6, 0], [5, 40, 4, 1, 6, 0]],
        [[3, 80, 4, 2, 6, 0], [3, 80, 4, 1, 6, 0], [3, 80, 4, 1, 6, 0],
         [5, 112, 4, 1, 6, 0], [5, 112, 4, 1, 6, 0], [5, 112, 4, 1, 6, 0]],
        [[5, 192, 4, 2, 6, 0], [5, 192, 4, 1, 6, 0], [5, 192, 4, 1, 6, 0], [5, 192, 4, 1, 6, 0],
         [3, 320, 4, 1, 6, 0]],
        [[1, 1280, 0, 1, 0, -1]]]


def make_divisible(v, d=8, min_ratio=0.9):
    new = max(d, int(v + d / 2) // d * d)
    if new < min_ratio * v:
        new += d
    return new


def model_scaling(width, depth):
    s = copy.deepcopy(BASE)
    for layer in s:
        for b in layer:
            b[1] = make_divisible(b[1] * width, 8)
    split = [s[0]]
    for layer in s[1:-1]:
        idx = [0] + [i + 1 for i in range(len(layer) - 1) if layer[i + 1][1] != layer[i][1]] + [len(layer)]
        for i in range(len(idx) - 1):
            split.append(layer[idx[i]:idx[i + 1]])
    split.append(s[-1])
    nums = [len(x) for x in split[1:-1]]
    new = [int(math.ceil(depth * n)) for n in nums]
    merged = [split[0]]
    for i, layer in enumerate(split[1:-1]):
        if new[i] <= nums[i]:
            cfg = layer[:new[i]]
        else:
            cfg = copy.deepcopy(layer) + [layer[-1]] * (new[i] - nums[i])
        if cfg[0][3] == 1 and i != 0:
            merged[-1] += cfg
        else:
            merged.append(cfg)
    merged.append(split[-1])
    return merged


class Conv(nn.Conv2d):
    """Conv2d with TF-SAME (dynamic, asymmetric) or symmetric (k//2) padding."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, padding_mode="tf_same"):
        super().__init__(cin, cout, k, stride, 0 if padding_mode == "tf_same" else k // 2,
                         groups=groups, bias=bias)
        self.tf_same = padding_mode == "tf_same"

    def forward(self, x):
        if self.tf_same:
            ih, iw = x.shape[-2:]
            kh, kw = self.weight.shape[-2:]
            sh, sw = self.stride
            oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
            ph = max((oh - 1) * sh + kh - ih, 0)
            pw = max((ow - 1) * sw + kw - iw, 0)
            if ph > 0 or pw > 0:
                x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return super().forward(x)


class ConvModule(nn.Module):
    def __init__(self, cin, cout, k, stride=1, groups=1, act=True, eps=1e-3, padding_mode="tf_same"):
        super().__init__()
        self.conv = Conv(cin, cout, k, stride, groups, bias=False, padding_mode=padding_mode)
        self.bn = nn.BatchNorm2d(cout, eps=eps)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return x * torch.sigmoid(x) if self.act else x


class SEConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, bias=True)


class SE(nn.Module):
    def __init__(self, ch, squeeze):
        super().__init__()
        self.conv1 = SEConv(ch, squeeze)
        self.conv2 = SEConv(squeeze, ch)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.conv1.conv(s)
        s = s * torch.sigmoid(s)
        s = torch.sigmoid(self.conv2.conv(s))
        return x * s


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, mid, k, stride, se_ratio, expand, eps, padding_mode):
        super().__init__()
        self.with_expand = mid != cin
        if self.with_expand:
            self.expand_conv = ConvModule(cin, mid, 1, eps=eps, padding_mode=padding_mode)
        self.depthwise_conv = ConvModule(mid, mid, k, stride, groups=mid, eps=eps, padding_mode=padding_mode)
        self.se = SE(mid, mid // int(expand * se_ratio)) if se_ratio > 0 else None
        self.linear_conv = ConvModule(mid, cout, 1, act=False, eps=eps, padding_mode=padding_mode)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.expand_conv(x) if self.with_expand else x
        y = self.depthwise_conv(y)
        if self.se is not None:
            y = self.se(y)
        y = self.linear_conv(y)
        return x + y if self.residual else y


class Backbone(nn.Module):
    def __init__(self, width, depth, eps=1e-3, padding_mode="tf_same"):
        super().__init__()
        setting = model_scaling(width, depth)
        first, last = setting[0][0], setting[-1][0]
        cin = make_divisible(first[1], 8)
        self.layers = nn.ModuleList([ConvModule(3, cin, first[0], first[3], eps=eps, padding_mode=padding_mode)])
        for layer_cfg in setting[1:-1]:
            blocks = []
            for k, cout, se_ratio, stride, expand, _ in layer_cfg:
                mid = int(cin * expand)
                cout = make_divisible(cout, 8)
                blocks.append(InvertedResidual(cin, cout, mid, k, stride, se_ratio, expand, eps, padding_mode))
                cin = cout
            self.layers.append(nn.Sequential(*blocks))
        self.layers.append(ConvModule(cin, last[1], last[0], last[3], eps=eps, padding_mode=padding_mode))
        self.out_channels = last[1]

    def forward(self, x):
        outs = []
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        return outs


class Head(nn.Module):
    def __init__(self, cin, num_classes):
        super().__init__()
        self.fc = nn.Linear(cin, num_classes)


class Classifier(nn.Module):
    """ImageClassifier(EfficientNet, GlobalAveragePooling, LinearClsHead): returns (per-layer features, logits)."""

    def __init__(self, arch="b0", width=None, depth=None, num_classes=2, eps=1e-3, padding_mode="tf_same"):
        super().__init__()
        w, d, _ = ARCH[arch]
        self.backbone = Backbone(width or w, depth or d, eps, padding_mode)
        self.head = Head(self.backbone.out_channels, num_classes)

    def forward(self, x):
        feats = self.backbone(x)
        logits = self.head.fc(feats[-1].mean((2, 3)))
        return feats, logits
