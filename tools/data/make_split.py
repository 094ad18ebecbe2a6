#!/usr/bin/env python3
"""Write hemovk's fixed WCEBleedGen train/validation split (splits/wcebleedgen.tsv).

The split every hemovk number uses (training, `hemovk eval --split val`, the model cards):

* 80 / 20 train / validation, the paper's ratio, stratified by class: each class contributes
  round(0.2 x its frame count) validation frames, so both halves keep the 50/50 class balance.
* Assigned by content, not by name: frames are grouped by the sha256 of their bytes, so the 161
  byte-identical duplicates of the release (14 pairs among bleeding, 142 among non-bleeding) always land
  on one side together. Groups are taken in sha256 order (a hash is as good as a seeded shuffle and
  needs no seed), filling validation until the class's quota is reached.
* Deterministic: the same release gives the same file, byte for byte; `--check` verifies that the
  committed file still matches a dataset copy (same names, same bytes).

The file lists names and hashes only (no images): one line per frame,
    split <TAB> class <TAB> path relative to the WCEBleedGen folder <TAB> sha256
sorted by path, after a header line. Tabs, because the release's names have spaces and parentheses.

    /usr/bin/python3 tools/data/make_split.py ../shared/data/wcebleedgen/WCEBleedGen  # rewrite
    /usr/bin/python3 tools/data/make_split.py ../shared/data/wcebleedgen/WCEBleedGen --check
"""
import argparse
import hashlib
import os
import sys

CLASSES = (("bleeding", "bleeding/Images"), ("non-bleeding", "non-bleeding/images"))
VAL_FRACTION = 0.2
HEADER = "split\tclass\tpath\tsha256\n"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(root):
    rows = []
    for cls, folder in CLASSES:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            sys.exit(f"make_split: {d}: no such folder - pass the WCEBleedGen folder of the release")
        names = sorted(n for n in os.listdir(d) if n.lower().endswith(".png"))
        groups = {}
        for n in names:
            groups.setdefault(sha256(os.path.join(d, n)), []).append(f"{folder}/{n}")
        quota = round(VAL_FRACTION * len(names))
        val = 0
        for digest in sorted(groups):
            members = groups[digest]
            side = "val" if val < quota else "train"
            if side == "val":
                val += len(members)
            rows += [(side, cls, p, digest) for p in members]
    rows.sort(key=lambda r: r[2])
    return HEADER + "".join("\t".join(r) + "\n" for r in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", help="the release's WCEBleedGen folder (holds bleeding/ and non-bleeding/)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "splits", "wcebleedgen.tsv"))
    ap.add_argument("--check", action="store_true", help="verify the committed file instead of writing it")
    a = ap.parse_args()
    text = build(a.root)
    if a.check:
        with open(a.out) as f:
            if f.read() != text:
                sys.exit(f"make_split: {a.out} does not match the dataset at {a.root}")
        print(f"make_split: {a.out} matches {a.root}")
        return
    with open(a.out, "w") as f:
        f.write(text)
    lines = text.splitlines()[1:]
    for side in ("train", "val"):
        for cls, _ in CLASSES:
            n = sum(1 for l in lines if l.startswith(side + "\t" + cls + "\t"))
            print(f"{side:5s} {cls:12s} {n}")
    print("sha256 of the split file:", hashlib.sha256(text.encode()).hexdigest())


if __name__ == "__main__":
    main()
