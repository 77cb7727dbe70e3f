#!/usr/bin/env python3
"""Fits the calibrated pair scores of src/align/calibration.rs (Python stdlib only).

Input: `bitext align --evidence FILE` tables, each with the gold folder of its documents
(`DOC.align` ladders, as `bitext eval align` reads them). A bead is right when it is a
gold bead. For each set of signals (length, mt, embed, combined, regroup) it fits an
L2-regularised logistic regression by Newton's method on the `--fit` tables, reports
5-fold cross-validated reliability (folds by document, so that no bead is scored by a
model fitted on its own document), scores the `--held` tables with the model fitted on
all of `--fit`, and prints the Rust constants.

    scripts/align/calibrate.py --fit EVIDENCE.tsv GOLD_DIR [...] [--held EVIDENCE.tsv GOLD_DIR ...]
"""

import math
import os
import sys
from collections import defaultdict

L2 = 1.0
FOLDS = 5
# The features each signal set has; the others are always 0 there.
HAVE = {
    "length": ["bias", "length", "anchors", "extra_sentences"],
    "mt": ["bias", "length", "anchors", "lexical", "scaled", "extra_sentences"],
    "embed": ["bias", "length", "anchors", "embedding", "scaled", "extra_sentences"],
    "combined": ["bias", "length", "anchors", "lexical", "embedding", "scaled", "extra_sentences"],
    "regroup": ["bias", "length", "anchors", "lexical", "scaled", "extra_sentences", "regroup"],
}
RUST = {"length": "LENGTH", "mt": "TRANSLATION", "embed": "EMBEDDING", "combined": "COMBINED", "regroup": "REGROUPED"}


def solve(a, b):
    """Solves a x = b by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[c][c] != 0:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


def fit(rows, used, width):
    """Coefficients over the feature indices in `used` (the others stay 0)."""
    k = len(used)
    w = [0.0] * k
    for _ in range(50):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for y, x in rows:
            xs = [x[i] for i in used]
            p = sigmoid(sum(wi * xi for wi, xi in zip(w, xs)))
            for i in range(k):
                grad[i] += (p - y) * xs[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * xs[i] * xs[j]
        for i in range(1, k):  # no penalty on the intercept
            grad[i] += L2 * w[i]
            hess[i][i] += L2
        for i in range(k):
            hess[i][i] += 1e-9
        step = solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step)]
        if max(abs(s) for s in step) < 1e-9:
            break
    full = [0.0] * width
    for i, wi in zip(used, w):
        full[i] = wi
    return full


def predict(w, x):
    return sigmoid(sum(a * b for a, b in zip(w, x)))


def report(name, scored):
    """Reliability bins and precision/recall at thresholds of (probability, label) pairs."""
    right = sum(y for _, y in scored)
    print(f"\n### {name}: {len(scored)} pairs, {right} right ({right / len(scored):.3f})\n")
    print("| predicted | pairs | right | mean predicted |")
    print("|---|---|---|---|")
    for lo in [i / 10 for i in range(10)]:
        b = [(p, y) for p, y in scored if lo <= p < lo + 0.1 or (lo == 0.9 and p >= 1.0)]
        if b:
            print(f"| {lo:.1f}–{lo + 0.1:.1f} | {len(b)} | {sum(y for _, y in b) / len(b):.3f} "
                  f"| {sum(p for p, _ in b) / len(b):.3f} |")
    print("\n| threshold | pairs kept | right among kept | right pairs kept | wrong among dropped |")
    print("|---|---|---|---|---|")
    for t in [0.3, 0.5, 0.7, 0.9]:
        kept = [y for p, y in scored if p >= t]
        dropped = [y for p, y in scored if p < t]
        prec = f"{sum(kept) / len(kept):.3f}" if kept else "–"
        wrong = f"{(len(dropped) - sum(dropped)) / len(dropped):.3f}" if dropped else "–"
        print(f"| {t:.1f} | {len(kept)} | {prec} | {sum(kept) / max(right, 1):.3f} | {wrong} |")


def read(pairs):
    """(signals → [(doc key, label, features)], feature names) from (table, gold dir) pairs."""
    names, data = None, defaultdict(list)
    for table, gold_dir in pairs:
        gold = {}
        with open(table, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            names = header[3:-1]
            for line in f:
                doc, bead, signals, *rest = line.rstrip("\n").split("\t")
                if doc not in gold:
                    with open(os.path.join(gold_dir, doc + ".align"), encoding="utf-8") as g:
                        gold[doc] = {l.replace(" ", "").strip() for l in g if l.strip()}
                label = int(bead in gold[doc])
                data[signals].append((f"{table}:{doc}", label, [float(c) for c in rest[:-1]]))
    return data, names


def main():
    groups, mode = {"--fit": [], "--held": []}, None
    args = sys.argv[1:]
    while args:
        if args[0] in groups:
            mode = args.pop(0)
            continue
        if mode is None or len(args) < 2:
            sys.exit(__doc__)
        groups[mode].append((args.pop(0), args.pop(0)))
    data, names = read(groups["--fit"])
    held, _ = read(groups["--held"]) if groups["--held"] else ({}, None)
    consts = {}
    for signals in HAVE:
        beads = data.get(signals)
        if not beads:
            continue
        used = [names.index(n) for n in HAVE[signals]]
        docs = sorted({d for d, _, _ in beads})
        scored = []
        for k in range(FOLDS):
            fold = {d for i, d in enumerate(docs) if i % FOLDS == k}
            w = fit([(y, x) for d, y, x in beads if d not in fold], used, len(names))
            scored += [(predict(w, x), y) for d, y, x in beads if d in fold]
        report(f"{signals}, fitting tables, 5-fold cross-validated by document", scored)
        consts[signals] = fit([(y, x) for _, y, x in beads], used, len(names))
        if held.get(signals):
            report(f"{signals}, held-out tables", [(predict(consts[signals], x), y) for _, y, x in held[signals]])
    print()
    for signals, w in consts.items():
        body = ", ".join(f"{v:.4}" for v in w)
        print(f"const {RUST[signals]}: [f64; FEATURES] = [{body}];")


if __name__ == "__main__":
    main()
