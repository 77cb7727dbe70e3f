#!/usr/bin/env python3
"""Builds the edited-news alignment dev set from WMT21 en-zh (stdlib only).

News sites do not translate their articles line for line: the Chinese edition drops
sentences, adds some of its own, moves a paragraph, splits or joins sentences. This
script imitates that on newstest2021.en-zh (English source, Chinese reference A; lines
are in document order):

- pseudo-documents of 15-25 consecutive lines;
- in each Chinese side, 2 sentences deleted and 2 sentences of another pseudo-document
  inserted (fixed seed);
- every third document also has a run of 2-4 lines moved elsewhere, and every third
  (another) one has one Chinese sentence split in two at a comma and two adjacent ones
  joined.

It writes, for each of `tune` (the first half of the pseudo-documents) and `held` (the
second half), `en/NNN` and `zh/NNN` (one sentence a line) and `gold/NNN.align` in the
ladder format that `bitext eval align` reads, English first (`[3]:[2,3]`), with a copy in
`gold-edited/`, `gold-moved/` or `gold-split-merge/` to score each kind of edit alone. `parallel/`
holds every pseudo-document unedited: the parallel-news case. With `--mt`, `en/NNN.trans`
holds the Online-B translation of each English line (the MT signal of `bitext align`). Gold holds every surviving
link, the crossing ones of a moved run too, so no monotone aligner can score 1.0 on those.

    scripts/align/edited_news.py ../shared/data/wmt21 /work/dev/edited-news
    bitext align --src-dir OUT/tune/en --tgt-dir OUT/tune/zh --lines -f ladder -o TEST
    bitext eval align --gold OUT/tune/gold --test TEST
"""

import argparse
import random
from pathlib import Path

SEED = 2021


def chunks(n, rng):
    """Consecutive line ranges of 15-25 lines covering 0..n (the last one may be longer)."""
    out, start = [], 0
    while n - start >= 15:
        size = rng.randint(15, 25)
        if n - start - size < 15:
            size = n - start
        out.append(range(start, start + size))
        start += size
    return out


def split_at_comma(text):
    """The sentence cut at the comma nearest its middle, or None without a usable comma."""
    cuts = [i for i, c in enumerate(text) if c == "，" and 4 <= i <= len(text) - 5]
    if not cuts:
        return None
    i = min(cuts, key=lambda k: abs(k - len(text) / 2))
    return text[:i] + "。", text[i + 1 :]


def edit(doc, zh, donor_lines, variant, rng):
    """Chinese units `(text, source line indices within the document)` after the edits."""
    units = [(zh[k], [j]) for j, k in enumerate(doc)]
    if variant == "split-merge":
        order = list(range(1, len(units)))
        rng.shuffle(order)
        for j in order:
            parts = split_at_comma(units[j][0])
            if parts:
                units[j : j + 1] = [(parts[0], units[j][1]), (parts[1], units[j][1])]
                break
        # Join two adjacent unsplit lines, away from the split.
        alone = lambda j: sum(u[1] == units[j][1] for u in units) == 1
        joinable = [j for j in range(1, len(units) - 1) if alone(j) and alone(j + 1)]
        j = rng.choice(joinable)
        units[j : j + 2] = [(units[j][0] + units[j + 1][0], units[j][1] + units[j + 1][1])]
    # Delete 2 single-line units (not the title).
    alone = lambda j: len(units[j][1]) == 1 and sum(u[1] == units[j][1] for u in units) == 1
    single = [j for j in range(1, len(units)) if alone(j)]
    for j in sorted(rng.sample(single, 2), reverse=True):
        del units[j]
    # Insert 2 sentences of another document (after the title).
    for text in rng.sample(donor_lines, 2):
        units.insert(rng.randint(1, len(units)), (text, []))
    if variant == "moved":
        size = rng.randint(2, 4)
        start = rng.randint(1, len(units) - size)
        run = units[start : start + size]
        del units[start : start + size]
        places = [p for p in range(1, len(units) + 1) if abs(p - start) >= 2]
        at = rng.choice(places)
        units[at:at] = run
    return units


def gold(units, n):
    """Ladder lines: adjacent units with the same source lines form one bead, uncovered
    source lines are deletions, units without source lines are insertions."""
    beads = []
    for i, (_, src) in enumerate(units):
        if beads and src and beads[-1][0] == src and beads[-1][1][-1] == i - 1:
            beads[-1][1].append(i)
        else:
            beads.append((src, [i]))
    covered = {s for _, src in units for s in src}
    beads += [([s], []) for s in range(n) if s not in covered]
    fmt = lambda xs: "[" + ",".join(map(str, xs)) + "]"
    return "".join(f"{fmt(s)}:{fmt(t)}\n" for s, t in beads)


def write(folder, name, en, zh, ladder, mt, variant=None):
    files = {f"en/{name}": en, f"zh/{name}": zh, f"gold/{name}.align": ladder}
    if variant:
        files[f"gold-{variant}/{name}.align"] = ladder
    if mt is not None:
        files[f"en/{name}.trans"] = mt
    for path, lines in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        text = lines if isinstance(lines, str) else "".join(line + "\n" for line in lines)
        (folder / path).write_text(text, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wmt21", type=Path, help="folder with newstest2021.en-zh.{src.en,ref.A.zh}")
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--mt", action="store_true", help="write en/NNN.trans (Online-B)")
    args = ap.parse_args()
    read = lambda name: [l.strip() for l in (args.wmt21 / name).read_text(encoding="utf-8").splitlines()]
    en, zh = read("newstest2021.en-zh.src.en"), read("newstest2021.en-zh.ref.A.zh")
    hyp = read("newstest2021.en-zh.hyp.Online-B.zh") if args.mt else None
    assert len(en) == len(zh), "source and reference differ in length"
    rng = random.Random(args.seed)
    docs = chunks(len(en), rng)
    variants = ["edited", "moved", "split-merge"]
    counts = {}
    for d, doc in enumerate(docs):
        name = f"{d:03d}"
        donor = rng.choice([k for k in range(len(docs)) if k != d])
        units = edit(doc, zh, [zh[k] for k in docs[donor]], variants[d % 3], rng)
        half = "tune" if d < len(docs) // 2 else "held"
        src = [en[k] for k in doc]
        mt = [hyp[k] for k in doc] if hyp else None
        write(args.out / half, name, src, [u[0] for u in units], gold(units, len(doc)), mt, variants[d % 3])
        parallel = "".join(f"[{j}]:[{j}]\n" for j in range(len(doc)))
        write(args.out / "parallel", name, src, [zh[k] for k in doc], parallel, mt)
        counts[half] = counts.get(half, 0) + 1
    print(f"{len(docs)} pseudo-documents ({counts}) written to {args.out}")


if __name__ == "__main__":
    main()
