#!/usr/bin/env python3
"""Reference measures of binary mask images, independent of hemovk's C code (PIL decodes the PNG).

Usage: mask_reference.py MASK.png...   ->  one line per mask: "<pixels> <regions 8-connected> <regions 4-connected>"
A pixel is foreground when its grey value (PIL 'L' conversion) is above 127, the WCEBleedGen rule.
"""
import sys

import numpy as np
from PIL import Image


def regions(mask, eight):
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    steps = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy or dx) and (eight or not (dy and dx))]
    n = 0
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        n += 1
        seen[y, x] = True
        stack = [(y, x)]
        while stack:
            cy, cx = stack.pop()
            for dy, dx in steps:
                yy, xx = cy + dy, cx + dx
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not seen[yy, xx]:
                    seen[yy, xx] = True
                    stack.append((yy, xx))
    return n


for path in sys.argv[1:]:
    m = np.array(Image.open(path).convert("L")) > 127
    print(int(m.sum()), regions(m, True), regions(m, False))
