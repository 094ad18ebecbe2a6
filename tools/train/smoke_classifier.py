#!/usr/bin/python3
"""Smoke test of the classifier recipe (tests/train/test_classifier_recipe.c runs it; ~30 s on one core).

On 12 + 12 train frames with a tiny EfficientNet it checks that
  1. the loss falls (mean of the last epoch < the first epoch's, over 6 epochs at a high LR);
  2. a run stopped after epoch 1 (as a kill would leave it: the last complete checkpoint) and resumed
     ends with exactly the same weights as an uninterrupted run (bit-identical state dicts);
  3. the export writes f16 safetensors with mmpretrain names, and the exported model's softmax on four
     validation frames is written to OUT/expected.txt (one line per frame: path, p(bleeding),
     p(non-bleeding)) for the C test, which loads the export into hemovk's classifier stage and compares.
Usage: smoke_classifier.py OUT_DIR. Exit 0 when every check passes, 1 with the failed check otherwise.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import train_classifier as tc  # noqa: E402

TINY = ["--width", "0.25", "--depth", "0.2", "--limit", "12", "--batch", "8", "--lr", "3e-3",
        "--warmup-epochs", "0.5", "--swa-last", "2", "--threads", "1"]


def fail(msg):
    print("smoke_classifier: FAILED:", msg, flush=True)
    sys.exit(1)


def state(run, epoch):
    return torch.load(common.checkpoint_path(run, epoch), map_location="cpu")["state_dict"]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # 1 + 3: an uninterrupted run
    full = os.path.join(out, "full")
    tc.main(["--run", full, "--epochs", "6"] + TINY)
    losses = [r["loss"] for r in map(eval_json, open(os.path.join(full, "log.jsonl")))]
    if not losses[-1] < losses[0]:
        fail(f"the loss did not fall: {losses}")
    print(f"loss per epoch: {[round(x, 4) for x in losses]}", flush=True)

    # 2: the same run, stopped after epoch 1, then resumed
    part = os.path.join(out, "resumed")
    steps_per_epoch = 24 // 8
    tc.main(["--run", part, "--epochs", "6", "--max-steps", str(steps_per_epoch)] + TINY)
    tc.main(["--run", part, "--epochs", "6", "--resume"] + TINY)
    a, b = state(full, 6), state(part, 6)
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    if diff:
        fail(f"resumed run differs from the uninterrupted one in {len(diff)} tensors, e.g. {diff[:3]}")
    print("resume: bit-identical to the uninterrupted run", flush=True)

    # 3: probabilities of the exported (f16) SWA model, as hemovk should reproduce them
    args = tc.parse_args(["--run", full] + TINY)
    model = tc.build_model(args)
    sd = read_safetensors(os.path.join(full, "swa.safetensors"))
    missing = set(k for k in model.state_dict() if not k.endswith("num_batches_tracked")) - set(sd)
    if missing:
        fail(f"export lacks {sorted(missing)[:3]}")
    model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    val = common.split_rows("val")
    rows = [r for c in common.CLASS_NAMES for r in [x for x in val if x["class"] == c][:2]]
    imgs = [common.downscale2_u8(common.load_rgb(os.path.join(common.DATA_ROOT, r["path"]))) for r in rows]
    import numpy as np
    probs = tc.predict(model, np.stack(imgs))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        for r, p in zip(rows, probs):
            f.write(f"{r['path']}\t{p[0]:.9g}\t{p[1]:.9g}\n")
    with open(os.path.join(out, "arch.txt"), "w") as f:
        f.write(f"{args.width} {args.depth}\n")
    print("smoke_classifier: all checks passed", flush=True)


def eval_json(line):
    import json
    return json.loads(line)


def read_safetensors(path):
    sys.path.insert(0, os.path.join(common.REPO, "tools", "ref"))
    import st_io
    return st_io.load(path)


if __name__ == "__main__":
    main()
