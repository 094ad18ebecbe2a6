#!/usr/bin/python3
"""Convert a PyTorch checkpoint (.pth/.pt/.bin) to safetensors with hemovk's canonical tensor names.

Canonical names are mmpretrain / MMDetection names (../shared/docs/MODEL_SPEC.md §2-§5), so the
paper's own checkpoints convert with no renaming:

    /usr/bin/python3 tools/convert_checkpoint.py epoch_102.pth -o classifier.safetensors --dtype f16

`{'state_dict': ...}` / `{'model': ...}` wrappers (mmcv, mmengine, MMDetection, timm) are unwrapped and a
`module.` prefix (DataParallel) is removed. Other frameworks go through a rename table:

    --from torchvision-efficientnet   torchvision efficientnet_b0..b7  -> mmpretrain EfficientNet
    --from timm-efficientnet          timm (tf_)efficientnet_b0..b7    -> same
    --from torchvision-convnext       torchvision convnext_tiny..large -> mmpretrain ConvNeXt (+ head.fc)
    --from timm-convnext              timm convnext_*                  -> same

Every key is accounted for. A key the table does not match is reported by name and makes the script
exit 1 unless --allow-unknown (then it is left out, still reported). With a rename table the expected
keys are known (from torchvision's model of the detected or given --arch): an expected key that is
absent is reported by name and exits 1 unless --allow-missing; a shape that differs always fails, except
the number of classes of the head (head.fc rows), which is the checkpoint's own (a 2-class fine-tune).
Integer buffers (num_batches_tracked) are kept as I64; hemovk's loaders skip them.
Needs Debian's /usr/bin/python3 (python3-torch; python3-torchvision for the rename tables).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from hemovk_convert import checkpoint, convnext, efficientnet, safetensors_writer  # noqa: E402

# Top-level modules of mmpretrain classifiers and MMDetection two-stage detectors.
MM_PREFIXES = ("backbone.", "neck.", "head.", "rpn_head.", "roi_head.", "data_preprocessor.")

FLOAT_TYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="checkpoint file (.pth, .pt, .bin)")
    p.add_argument("-o", "--output", help="output .safetensors (default: input with .safetensors suffix; "
                   "with --list nothing is written unless -o is given)")
    p.add_argument("--from", dest="source", default="mm",
                   choices=["mm", "torchvision-efficientnet", "timm-efficientnet", "torchvision-convnext",
                            "timm-convnext"],
                   help="naming of the input (default mm: mmpretrain/MMDetection, no renaming)")
    p.add_argument("--arch", help="architecture for the expected-key check (b0..b7; tiny/small/base/large); "
                   "detected from the weights when omitted")
    p.add_argument("--dtype", choices=["keep", "f32", "f16"], default="keep",
                   help="storage type of floating tensors (integer buffers are never converted)")
    p.add_argument("--allow-unknown", action="store_true", help="report unknown keys but do not fail")
    p.add_argument("--allow-missing", action="store_true", help="report missing keys but do not fail")
    p.add_argument("--list", action="store_true", help="print the converted names, dtypes and shapes")
    return p.parse_args(argv)


def rename_with_table(args, sd, problems):
    """Apply a rename table; return (renamed dict, expected {mm name: shape} or None)."""
    out = {}
    if args.source == "timm-efficientnet":
        # to torchvision names first; a key with no torchvision counterpart is reported under its timm name
        to_tv = efficientnet.make_timm_to_torchvision(sd.keys())
        tv = {}
        for k, v in sd.items():
            t = to_tv(k)
            if t is None:
                problems["unknown"].append(f"'{k}' (not in the {args.source} rename table)")
            else:
                tv[t] = v
        sd = tv
    if args.source in ("torchvision-efficientnet", "timm-efficientnet"):
        table = efficientnet.make_table(sd.keys())
    elif args.source == "torchvision-convnext":
        table = convnext.tv_rename
    else:
        table = convnext.timm_rename
    for k, v in sd.items():
        r = table(k)
        if r is None:
            problems["unknown"].append(f"'{k}' (not in the {args.source} rename table)")
            continue
        name, flat = r
        if name in out:
            problems["fatal"].append(f"'{k}' maps to '{name}', which another key already produced")
            continue
        out[name] = v.reshape(-1) if flat else v

    family = efficientnet if args.source.endswith("-efficientnet") else convnext
    arch = args.arch
    if arch is None:
        arch = efficientnet.detect_arch(sd) if family is efficientnet else convnext.detect_arch(out)
    if arch is None:
        problems["missing"].append("(cannot tell the architecture from the weights, so the expected keys are "
                                   "unknown; pass --arch)")
        return out, None
    if arch not in family.ARCHS:
        problems["fatal"].append(f"--arch {arch}: expected one of {', '.join(family.ARCHS)}")
        return out, None
    ref = family.reference_state_dict(arch)
    if family is efficientnet:
        ref_rename = efficientnet.make_renamer(ref.keys())
        ref = {ref_rename(k): v for k, v in ref.items()}
    print(f"convert_checkpoint: {args.source} architecture '{arch}'", file=sys.stderr)
    return out, {k: tuple(v.shape) for k, v in ref.items()}


def convert_dtype(name, t, want, problems):
    if not torch.is_floating_point(t) or want == "keep":
        return t
    target = torch.float16 if want == "f16" else torch.float32
    if t.dtype == target:
        return t
    if target == torch.float16:
        finite_before = torch.isfinite(t)
        c = t.to(torch.float16)
        if bool((finite_before & ~torch.isfinite(c)).any()):
            peak = float(t[finite_before].abs().max())
            problems["fatal"].append(f"'{name}': values up to {peak:g} overflow f16 (max 65504); "
                                     f"use --dtype f32 or keep")
        return c
    return t.to(target)


def main(argv):
    args = parse_args(argv)
    problems = {"unknown": [], "missing": [], "fatal": []}
    try:
        sd, where = checkpoint.load_state_dict(args.input)
        sd, stripped = checkpoint.strip_prefix(sd)
    except Exception as e:  # a corrupt or foreign file: say which, do not dump a traceback
        print(f"convert_checkpoint: {args.input}: cannot load: {e}", file=sys.stderr)
        return 1
    print(f"convert_checkpoint: {args.input}: {len(sd)} entries in {where}"
          + (f", 'module.' removed from {stripped}" if stripped else ""), file=sys.stderr)

    tensors = {}
    for k, v in sd.items():
        if torch.is_tensor(v):
            tensors[k] = v
        else:
            problems["unknown"].append(f"'{k}' (a {type(v).__name__}, not a tensor)")

    expected = None
    if args.source == "mm":
        out = {}
        for k, v in tensors.items():
            if not k.startswith(MM_PREFIXES):
                problems["unknown"].append(f"'{k}' (not under {', '.join(p[:-1] for p in MM_PREFIXES)})")
                if not args.allow_unknown:
                    continue
            out[k] = v
    else:
        out, expected = rename_with_table(args, tensors, problems)

    if expected is not None:
        for name, shape in expected.items():
            if name not in out:
                problems["missing"].append(f"'{name}' (shape {list(shape)})")
            elif name.startswith("head.fc.") and tuple(out[name].shape[1:]) == shape[1:]:
                if name == "head.fc.weight" and out[name].shape[0] != shape[0]:
                    print(f"convert_checkpoint: head with {out[name].shape[0]} classes", file=sys.stderr)
            elif tuple(out[name].shape) != shape:
                problems["fatal"].append(f"'{name}': shape {list(out[name].shape)} but the architecture "
                                         f"needs {list(shape)}")
        for name in out:
            if name not in expected:
                problems["unknown"].append(f"'{name}' (renamed, but not part of the architecture)")

    out = {k: convert_dtype(k, v, args.dtype, problems) for k, v in out.items()}

    failed = False
    for kind, allowed in (("unknown", args.allow_unknown), ("missing", args.allow_missing), ("fatal", False)):
        for msg in problems[kind]:
            label = {"unknown": "unknown key", "missing": "missing key", "fatal": "error"}[kind]
            print(f"convert_checkpoint: {args.input}: {label} {msg}", file=sys.stderr)
        if problems[kind] and not allowed:
            failed = True
    if failed:
        hint = " (see --allow-unknown / --allow-missing)" if problems["unknown"] or problems["missing"] else ""
        print(f"convert_checkpoint: {args.input}: not converted{hint}", file=sys.stderr)
        return 1

    if args.list:
        for name in sorted(out):
            t = out[name]
            print(f"{name}\t{safetensors_writer.DTYPE_NAMES[t.dtype][0]}\t{list(t.shape)}")
    output = args.output
    if output is None and not args.list:
        output = os.path.splitext(args.input)[0] + ".safetensors"
    if output:
        meta = {"format": "pt", "hemovk.converted_from": os.path.basename(args.input),
                "hemovk.naming": args.source}
        safetensors_writer.write(output, out, meta)
        print(f"convert_checkpoint: wrote {len(out)} tensors to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
