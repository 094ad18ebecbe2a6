#!/usr/bin/env python3
"""Reference for SWA BatchNorm recalibration (MODEL_SPEC §6.3 option (c)): PyTorch's own procedure.

    /usr/bin/python3 tools/ref/gen_bn_recalib.py --out DIR [--models 2] [--images 5] [--batch 2]
                                                 [--png N] [--norm raw|imagenet]

Builds `--models` EfficientNets (tools/ref/efficientnet_mm.py, mmpretrain names) with different seeds
and randomised BN statistics, writes each as DIR/weights_<k>.safetensors, then does what SWA training
does: torch.optim.swa_utils.AveragedModel over them (equal average of the parameters; BN buffers are
not averaged) followed by torch.optim.swa_utils.update_bn over calibration images in a DataLoader
(train-mode BN, momentum None: running stats = average over batches of each batch's mean and
unbiased variance). Writes DIR/calib.safetensors with
    images           [n, 3, H, W] the calibration images (0..255, the classifier's raw-RGB convention)
    <name>           every recalibrated backbone.*.running_mean / running_var
    input, logits    a test input and the recalibrated averaged model's eval-mode logits (with --png:
                     frame_0, normalised)

With --png N the calibration images are frames a user would have: N random RGB PNGs written as
DIR/frames/frame_<k>.png, of which --images are taken evenly spaced (frame k·N//images, k = 0..images-1,
the classifier stage's `calibration.limit` rule), then normalised per --norm (raw 0..255, or ImageNet
(x - mean)/std as the stage's `preprocess: imagenet`) — so a test can point the stage at the folder.
"""
import argparse
import os
import sys

import torch
from torch.optim.swa_utils import AveragedModel, update_bn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import efficientnet_mm  # noqa: E402
import st_io  # noqa: E402
from gen_backbone import randomise  # noqa: E402


class LogitsOnly(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", type=int, default=2)
    ap.add_argument("--images", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", default="64,64")
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--depth", type=float, default=0.34)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--png", type=int, default=0, help="write N frames as PNG and calibrate on --images of them")
    ap.add_argument("--norm", choices=["raw", "imagenet"], default="raw")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    h, w = (int(v) for v in a.size.split(","))

    models = []
    for k in range(a.models):
        torch.manual_seed(a.seed + 100 * k)
        gen = torch.Generator().manual_seed(a.seed + 100 * k + 1)
        m = efficientnet_mm.Classifier("b0", a.width, a.depth, 2, 1e-3, "tf_same")
        randomise(m, gen)
        m.eval()
        st_io.save(os.path.join(a.out, f"weights_{k}.safetensors"), m.state_dict())
        models.append(m)

    # AveragedModel's deep copy is not counted: the first update_parameters() copies, later ones average
    swa = AveragedModel(LogitsOnly(models[0]))
    for m in models:
        swa.update_parameters(LogitsOnly(m))

    gen = torch.Generator().manual_seed(a.seed + 7)
    images = torch.rand(a.images, 3, h, w, generator=gen) * 255.0
    if a.png:
        from torchvision.io import write_png

        os.makedirs(os.path.join(a.out, "frames"), exist_ok=True)
        frames = (torch.rand(a.png, 3, h, w, generator=gen) * 256.0).floor().clamp(0, 255).to(torch.uint8)
        for k in range(a.png):
            write_png(frames[k], os.path.join(a.out, "frames", f"frame_{k}.png"))
        images = torch.stack([frames[k * a.png // a.images] for k in range(a.images)]).float()
    if a.norm == "imagenet":
        mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
        std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
        images = (images - mean) / std
    loader = torch.utils.data.DataLoader(images, batch_size=a.batch, shuffle=False)
    with torch.no_grad():
        update_bn(loader, swa)
    net = swa.module.m
    net.eval()
    x = torch.rand(1, 3, h, w, generator=gen) * 255.0
    if a.png:  # frame_0.png as the stage would feed it, so a test can run the stage on that file
        x = images[:1].clone()
    out = {"images": images, "input": x}
    with torch.no_grad():
        out["logits"] = net(x)[1]
    for name, t in net.state_dict().items():
        if name.endswith("running_mean") or name.endswith("running_var"):
            out[name] = t
    st_io.save(os.path.join(a.out, "calib.safetensors"), out, {"batches": str(len(loader))})
    print(f"wrote {a.out}: {a.models} models, {a.images} images in batches of {a.batch}")


if __name__ == "__main__":
    main()
