#!/usr/bin/env python3
"""Vecalign-compatible strict/lax precision, recall and F1 of ladder files.

usage: score.py GOLD_DIR TEST_DIR   (files NNN.align in both, paired by name)

The counting follows vecalign/score.py (Thompson & Koehn 2019): beads empty on both
sides are ignored; a test bead is a strict hit when gold has the identical bead and a
lax hit when any of its target sentences is aligned in gold to any of its source
sentences; recall is precision with gold and test swapped; counts are summed over files.
"""
import sys
from collections import defaultdict
from pathlib import Path


def read(path):
    out = []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        a, b = line.split(":")
        side = lambda s: tuple(int(x) for x in s.strip()[1:-1].split(",") if x.strip())
        out.append((side(a), side(b)))
    return out


def precision_counts(gold, test):
    gold = {g for g in gold if g[0] or g[1]}
    test = {t for t in test if t[0] or t[1]}
    src_to_tgt = defaultdict(set)
    for gs, gt in gold:
        for s in gs:
            src_to_tgt[s].update(gt)
    tps = fps = tpl = fpl = 0
    for ts, tt in test:
        if (ts, tt) in gold:
            tps += 1
            tpl += 1
        else:
            fps += 1
            lax = set()
            for s in ts:
                lax |= src_to_tgt[s]
            if set(tt) & lax:
                tpl += 1
            else:
                fpl += 1
    return [tps, fps, tpl, fpl]


def div(a, b):
    return a / b if b else 0.0


def score(pairs):
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for gold, test in pairs:
        p = [x + y for x, y in zip(p, precision_counts(gold, test))]
        r = [x + y for x, y in zip(r, precision_counts(test, gold))]
    out = {}
    for name, tp, fp in (("strict", 0, 1), ("lax", 2, 3)):
        prec = div(p[tp], p[tp] + p[fp])
        rec = div(r[tp], r[tp] + r[fp])
        out[name] = (prec, rec, div(2 * prec * rec, prec + rec))
    return out


def main():
    gold_dir, test_dir = map(Path, sys.argv[1:3])
    pairs = [(read(g), read(test_dir / g.name)) for g in sorted(gold_dir.glob("*.align"))]
    s = score(pairs)
    for name in ("strict", "lax"):
        p, r, f = s[name]
        print(f"{name}: P {p:.3f} R {r:.3f} F1 {f:.3f}")


if __name__ == "__main__":
    main()
