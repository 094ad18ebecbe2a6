"""Plain-PyTorch InternImage with DCNv3, written from MODEL_SPEC §4 (InternImage/ops_dcnv3 semantics).

Parameter names follow the authors' checkpoint (backbone.patch_embed.*, backbone.levels.i.blocks.j.*,
backbone.levels.i.downsample.*, backbone.levels.i.norm.0 only without post_norm). The DCNv3 core is
computed two ways — the CUDA kernel's formula (dcnv3_core_kernel_formula) and the repository's
grid_sample formulation (dcnv3_core_pytorch) — and tests check that they agree.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = {  # channels, depths, groups, offset_scale, post_norm, mlp_ratio
    "t": (64, [4, 4, 18, 4], [4, 8, 16, 32], 1.0, False, 4.0),
    "s": (80, [4, 4, 21, 4], [5, 10, 20, 40], 1.0, False, 4.0),
    "b": (112, [4, 4, 21, 4], [7, 14, 28, 56], 1.0, False, 4.0),
    "l": (160, [5, 5, 22, 5], [10, 20, 40, 80], 2.0, True, 4.0),
    "xl": (192, [5, 5, 24, 5], [12, 24, 48, 96], 2.0, True, 4.0),
}


def dcnv3_core_kernel_formula(v, off, mask, G, k=3, stride=1, pad=1, dil=1, offset_scale=1.0):
    """DCNv3 sampling exactly as dcnv3_im2col_gpu_kernel: v [N,H,W,C], off [N,Ho,Wo,G*K*2], mask [N,Ho,Wo,G*K]."""
    N, H, W, C = v.shape
    Cg = C // G
    K = k * k
    Ho, Wo = off.shape[1], off.shape[2]
    c = (dil * (k - 1)) >> 1
    dev = v.device
    hs = torch.arange(Ho, device=dev, dtype=v.dtype).view(1, Ho, 1, 1, 1)
    ws = torch.arange(Wo, device=dev, dtype=v.dtype).view(1, 1, Wo, 1, 1)
    off = off.view(N, Ho, Wo, G, K, 2)
    mask = mask.view(N, Ho, Wo, G, K)
    p = torch.arange(K, device=dev)
    i = (p // k).to(v.dtype).view(1, 1, 1, 1, K)  # x index (x-major)
    j = (p % k).to(v.dtype).view(1, 1, 1, 1, K)   # y index
    base_x = (c - pad + ws * stride) - c * offset_scale
    base_y = (c - pad + hs * stride) - c * offset_scale
    loc_x = base_x + (i * dil + off[..., 0]) * offset_scale
    loc_y = base_y + (j * dil + off[..., 1]) * offset_scale
    vg = v.view(N, H, W, G, Cg)
    out = torch.zeros(N, Ho, Wo, G, Cg, dtype=v.dtype, device=dev)
    y0 = torch.floor(loc_y)
    x0 = torch.floor(loc_x)
    ly, lx = loc_y - y0, loc_x - x0
    inside = (loc_y > -1) & (loc_x > -1) & (loc_y < H) & (loc_x < W)
    nidx = torch.arange(N, device=dev).view(N, 1, 1, 1, 1).expand_as(loc_x)
    gidx = torch.arange(G, device=dev).view(1, 1, 1, G, 1).expand_as(loc_x)
    for dy, dx, wgt in ((0, 0, (1 - ly) * (1 - lx)), (0, 1, (1 - ly) * lx), (1, 0, ly * (1 - lx)), (1, 1, ly * lx)):
        yy = (y0 + dy).long()
        xx = (x0 + dx).long()
        ok = inside & (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
        val = vg[nidx, yy.clamp(0, H - 1), xx.clamp(0, W - 1), gidx]  # [N,Ho,Wo,G,K,Cg]
        w = (wgt * ok.to(v.dtype) * mask).unsqueeze(-1)
        out += (val * w).sum(4)
    return out.view(N, Ho, Wo, C)


def dcnv3_core_pytorch(v, off, mask, G, k=3, stride=1, pad=1, dil=1, offset_scale=1.0):
    """The InternImage repository's grid_sample formulation (dcnv3_core_pytorch), for cross-checking."""
    N, H, W, C = v.shape
    Cg = C // G
    K = k * k
    vp = F.pad(v, [0, 0, pad, pad, pad, pad])
    Hp, Wp = H + 2 * pad, W + 2 * pad
    Ho, Wo = off.shape[1], off.shape[2]
    ref_y, ref_x = torch.meshgrid(
        torch.linspace((dil * (k - 1)) // 2 + 0.5, (dil * (k - 1)) // 2 + 0.5 + (Ho - 1) * stride, Ho, dtype=v.dtype),
        torch.linspace((dil * (k - 1)) // 2 + 0.5, (dil * (k - 1)) // 2 + 0.5 + (Wo - 1) * stride, Wo, dtype=v.dtype),
        indexing="ij")
    ref = torch.stack((ref_x.reshape(-1)[None] / Wp, ref_y.reshape(-1)[None] / Hp), -1).reshape(1, Ho, Wo, 1, 2)
    pts = []
    for i in range(k):  # x-major
        for j in range(k):
            pts.append(torch.tensor([-((dil * (k - 1)) // 2) + i * dil, -((dil * (k - 1)) // 2) + j * dil],
                                    dtype=v.dtype))
    grid = torch.stack(pts).view(1, 1, 1, K, 2)
    grid = grid.repeat(1, 1, 1, G, 1)  # [1,1,1,G*K,2]
    scale = torch.tensor([Wp, Hp], dtype=v.dtype)
    loc = ref.repeat(N, 1, 1, G * K, 1) + grid * offset_scale / scale + off.view(N, Ho, Wo, G * K, 2) * offset_scale / scale
    grids = 2 * loc - 1
    inp = vp.view(N, Hp * Wp, G * Cg).transpose(1, 2).reshape(N * G, Cg, Hp, Wp)
    g = grids.view(N, Ho * Wo, G, K, 2).transpose(1, 2).flatten(0, 1)  # [N*G, Ho*Wo, K, 2]
    s = F.grid_sample(inp, g, mode="bilinear", padding_mode="zeros", align_corners=False)  # [N*G,Cg,Ho*Wo,K]
    m = mask.view(N, Ho * Wo, G, K).transpose(1, 2).reshape(N * G, 1, Ho * Wo, K)
    out = (s * m).sum(-1).view(N, G * Cg, Ho * Wo)
    return out.transpose(1, 2).reshape(N, Ho, Wo, C)


class LNcl(nn.Module):
    """Sequential-style wrapper so names read `.0` (channels_last LN)."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.add_module("0", nn.LayerNorm(c, eps=eps))

    def forward(self, x):
        return getattr(self, "0")(x)


class LNcf2cl(nn.Module):
    """to_channels_last then LN: names read `.1`."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.add_module("1", nn.LayerNorm(c, eps=eps))

    def forward(self, x):
        return getattr(self, "1")(x.permute(0, 2, 3, 1))


class DWConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.add_module("0", nn.Conv2d(c, c, 3, 1, 1, groups=c))
        self.add_module("1", LNcf2cl(c))

    def forward(self, x_nhwc):
        y = getattr(self, "0")(x_nhwc.permute(0, 3, 1, 2))
        return F.gelu(getattr(self, "1")(y))


class DCNv3(nn.Module):
    def __init__(self, c, group, offset_scale, core=dcnv3_core_kernel_formula):
        super().__init__()
        self.group, self.offset_scale, self.core = group, offset_scale, core
        self.dw_conv = DWConv(c)
        self.offset = nn.Linear(c, group * 9 * 2)
        self.mask = nn.Linear(c, group * 9)
        self.input_proj = nn.Linear(c, c)
        self.output_proj = nn.Linear(c, c)

    def forward(self, u):
        N, H, W, _ = u.shape
        v = self.input_proj(u)
        z = self.dw_conv(u)
        off = self.offset(z)
        m = F.softmax(self.mask(z).view(N, H, W, self.group, 9), -1).view(N, H, W, -1)
        x = self.core(v, off, m, self.group, offset_scale=self.offset_scale)
        return self.output_proj(x)


class MLP(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        self.fc1 = nn.Linear(c, int(c * ratio))
        self.fc2 = nn.Linear(int(c * ratio), c)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Layer(nn.Module):
    def __init__(self, c, group, mlp_ratio, offset_scale, post_norm, layer_scale=True):
        super().__init__()
        self.post_norm = post_norm
        self.norm1 = LNcl(c)
        self.dcn = DCNv3(c, group, offset_scale)
        self.norm2 = LNcl(c)
        self.mlp = MLP(c, mlp_ratio)
        self.layer_scale = layer_scale
        if layer_scale:
            self.gamma1 = nn.Parameter(torch.ones(c))
            self.gamma2 = nn.Parameter(torch.ones(c))

    def forward(self, x):
        g1 = self.gamma1 if self.layer_scale else 1.0
        g2 = self.gamma2 if self.layer_scale else 1.0
        if self.post_norm:
            x = x + g1 * self.norm1(self.dcn(x))
            x = x + g2 * self.norm2(self.mlp(x))
        else:
            x = x + g1 * self.dcn(self.norm1(x))
            x = x + g2 * self.mlp(self.norm2(x))
        return x


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, 2 * c, 3, 2, 1, bias=False)
        self.norm = LNcf2cl(2 * c)

    def forward(self, x):
        return self.norm(self.conv(x.permute(0, 3, 1, 2)))


class Level(nn.Module):
    def __init__(self, c, depth, group, mlp_ratio, offset_scale, post_norm, downsample, layer_scale=True):
        super().__init__()
        self.blocks = nn.ModuleList([Layer(c, group, mlp_ratio, offset_scale, post_norm, layer_scale)
                                     for _ in range(depth)])
        self.post_norm = post_norm
        if not post_norm:
            self.norm = LNcl(c)
        self.downsample = Downsample(c) if downsample else None

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        if not self.post_norm:
            x = self.norm(x)
        x_ = x
        if self.downsample is not None:
            x = self.downsample(x)
        return x, x_


class Stem(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c // 2, 3, 2, 1)
        self.norm1 = LNcf2cl(c // 2)
        self.conv2 = nn.Conv2d(c // 2, c, 3, 2, 1)
        self.norm2 = LNcf2cl(c)

    def forward(self, x):
        x = F.gelu(self.norm1(self.conv1(x)))  # NHWC
        return self.norm2(self.conv2(x.permute(0, 3, 1, 2)))


class Backbone(nn.Module):
    def __init__(self, channels, depths, groups, offset_scale, post_norm, mlp_ratio=4.0, layer_scale=True):
        super().__init__()
        self.patch_embed = Stem(channels)
        self.levels = nn.ModuleList([
            Level(channels * 2 ** i, depths[i], groups[i], mlp_ratio, offset_scale, post_norm, i < 3, layer_scale)
            for i in range(4)])

    def forward(self, x):
        x = self.patch_embed(x)
        outs = []
        for lvl in self.levels:
            x, x_ = lvl(x)
            outs.append(x_.permute(0, 3, 1, 2).contiguous())
        return outs


class Wrapper(nn.Module):
    """Holds the backbone under the `backbone.` prefix, as in an MMDetection checkpoint."""

    def __init__(self, **kw):
        super().__init__()
        self.backbone = Backbone(**kw)

    def forward(self, x):
        return self.backbone(x)
