"""Plain-PyTorch ConvNeXt with mmcls/mmpretrain structure and parameter names (MODEL_SPEC §3).

backbone.downsample_layers.0.{0 conv 4x4 s4, 1 LN2d}, downsample_layers.i.{0 LN2d, 1 conv 2x2 s2},
backbone.stages.i.j.{depthwise_conv, norm, pointwise_conv1, pointwise_conv2, gamma}, backbone.norm{i}
(extra output norms), head.fc (classification: GAP, then norm3, then fc — gap_before_final_norm).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = {"tiny": ([3, 3, 9, 3], [96, 192, 384, 768]), "small": ([3, 3, 27, 3], [96, 192, 384, 768]),
        "base": ([3, 3, 27, 3], [128, 256, 512, 1024]), "large": ([3, 3, 27, 3], [192, 384, 768, 1536])}


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over C of an NCHW tensor."""

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                            self.eps).permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.depthwise_conv = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=eps)
        self.pointwise_conv1 = nn.Linear(c, 4 * c)
        self.pointwise_conv2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.ones(c))

    def forward(self, x):
        y = self.depthwise_conv(x).permute(0, 2, 3, 1)
        y = self.pointwise_conv2(F.gelu(self.pointwise_conv1(self.norm(y))))
        y = (y * self.gamma).permute(0, 3, 1, 2)
        return x + y


class Backbone(nn.Module):
    def __init__(self, depths, dims, out_indices=(0, 1, 2, 3), downsample_eps=1e-6, eps=1e-6, extra_norms=True):
        super().__init__()
        self.out_indices = out_indices
        self.downsample_layers = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0], eps=eps))])
        for i in range(1, 4):
            self.downsample_layers.append(nn.Sequential(LayerNorm2d(dims[i - 1], eps=downsample_eps),
                                                        nn.Conv2d(dims[i - 1], dims[i], 2, 2)))
        self.stages = nn.ModuleList([nn.Sequential(*[Block(dims[i], eps) for _ in range(depths[i])])
                                     for i in range(4)])
        self.extra_norms = extra_norms
        for i in out_indices:
            self.add_module(f"norm{i}", LayerNorm2d(dims[i], eps=eps))

    def forward(self, x):
        """Returns (stage outputs before the extra norms, the FPN inputs after them)."""
        raw, outs = [], []
        for i in range(4):
            x = self.stages[i](self.downsample_layers[i](x))
            raw.append(x)
            if i in self.out_indices:
                outs.append(getattr(self, f"norm{i}")(x))
        return raw, outs


class Head(nn.Module):
    def __init__(self, cin, n):
        super().__init__()
        self.fc = nn.Linear(cin, n)


class Classifier(nn.Module):
    """ConvNeXt classifier: GAP of the last stage, then norm3, then fc."""

    def __init__(self, depths, dims, num_classes=2, downsample_eps=1e-6):
        super().__init__()
        self.backbone = Backbone(depths, dims, out_indices=(3,), downsample_eps=downsample_eps)
        self.head = Head(dims[3], num_classes)

    def forward(self, x):
        raw, _ = self.backbone(x)
        pooled = raw[3].mean((2, 3))
        pooled = F.layer_norm(pooled, pooled.shape[-1:], self.backbone.norm3.weight, self.backbone.norm3.bias,
                              self.backbone.norm3.eps)
        return raw, self.head.fc(pooled)
