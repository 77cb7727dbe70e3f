#!/usr/bin/env python3
"""Coordinate-descent tuning of `bitext align` weights on mac-dev (strict F1).

usage: tune.py BITEXT_BINARY [--length-only] [--embed [MODEL]] [--rounds N] [--news DIR]

Runs `bitext align --src-dir zh --tgt-dir en --lines --format ladder` (MT from the
`.trans` files) or, with --length-only, one pair at a time without translations, and
scores with `bitext eval align` (Vecalign's score.py). --embed adds the embedding term
(vectors come from the embedding cache after the first run, so sweeps are cheap).
Prints every improvement and the best flags at the end. --news DIR (a half of
`scripts/align/edited_news.py`'s output, with en/ zh/ gold/; use the --mt copy unless
--length-only) tunes the mean of mac-dev's and that half's strict F1 instead.
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

MAC = Path(__file__).resolve().parents[2] / "../shared/data/mac-dev"

GRID = {
    "--length-weight": [0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5],
    "--lexical-weight": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0],
    "--overlap-weight": [0.0, 0.25, 0.5, 0.75, 1.0],
    "--neighbour-weight": [0.0, 0.2, 0.4],
    "--anchor-weight": [0.0, 0.05, 0.1, 0.2, 0.4],
    "--embedding-weight": [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
    "--embed-margin": [0.0, 0.5, 0.8, 1.0, 1.2],
    "--embed-length-penalty": [0.0, 0.5, 1.0],
    "--skip-cost": [0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0],
    "--bead-cost": [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3],
    "--merge-cost": [0.0, 0.02, 0.05, 0.1, 0.2],
    "--crossing-cost": [0.0, 0.05, 0.1, 0.2, 0.4],
    "--fragment-cost": [0.0, 0.1, 0.2, 0.5],
    "--variance": [3.0, 5.0, 6.8, 10.0, 15.0, 75.0, 150.0, 250.0],
}


def strict_f1(binary, gold, out):
    scores = subprocess.run([binary, "eval", "align", "--gold", str(gold), "--test", str(out), "--json"],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(scores)["f1_strict"]


def run_news(binary, flags, news):
    """Strict F1 on an edited-news half (English source, Chinese target)."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "-q", "align", "--src-dir", str(news / "en"), "--tgt-dir", str(news / "zh"),
                        "--lines", "--format", "ladder", "-o", out, *flags], check=True)
        return strict_f1(binary, news / "gold", out)


def run(binary, flags, length_only, embed=None, news=None):
    if embed:
        flags = [f"--embed={embed}", *flags]
    mac = run_mac(binary, flags, length_only)
    return mac if news is None else (mac + run_news(binary, flags, news)) / 2


def run_mac(binary, flags, length_only):
    with tempfile.TemporaryDirectory() as out:
        out = Path(out)
        if length_only:
            for zh in sorted((MAC / "zh").glob("[0-9][0-9][0-9]")):
                subprocess.run([binary, "-q", "align", str(zh), str(MAC / "en" / zh.name), "--lines",
                                "--format", "ladder", "-o", str(out / f"{zh.name}.align"), *flags],
                               check=True)
        else:
            subprocess.run([binary, "-q", "align", "--src-dir", str(MAC / "zh"), "--tgt-dir",
                            str(MAC / "en"), "--lines", "--format", "ladder", "-o", str(out), *flags],
                           check=True)
        return strict_f1(binary, MAC / "gold", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--length-only", action="store_true")
    ap.add_argument("--embed", nargs="?", const="e5-small", help="add embeddings (default model e5-small)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--news", type=Path, help="an edited-news half: tune the mean with mac-dev")
    ap.add_argument("--only", default="", help="flags to tune, comma-separated without dashes, "
                    "e.g. skip-cost,embed-margin (default: all)")
    ap.add_argument("--start", default="", help="flags to start from, e.g. '--skip-cost 0.2'")
    args = ap.parse_args()
    only = ["--" + name for name in args.only.split(",") if name]
    grid = {k: v for k, v in GRID.items() if not only or k in only}
    if not args.embed:
        grid = {k: v for k, v in grid.items() if not k.startswith("--embed")}
    if args.length_only:
        grid = {k: v for k, v in grid.items() if k not in ("--lexical-weight", "--overlap-weight",
                                                           "--neighbour-weight")}
    start = args.start.split()
    current = dict(zip(start[::2], start[1::2]))
    flags = lambda d: [x for k, v in d.items() for x in (k, str(v))]
    best = run(args.binary, flags(current), args.length_only, args.embed, args.news)
    print(f"start: strict F1 {best:.4f}", flush=True)
    for _ in range(args.rounds):
        improved = False
        for name, values in grid.items():
            for v in values:
                trial = dict(current, **{name: v})
                f = run(args.binary, flags(trial), args.length_only, args.embed, args.news)
                if f > best + 1e-9:
                    best, current, improved = f, trial, True
                    print(f"{best:.4f} {' '.join(flags(current))}", flush=True)
        if not improved:
            break
    print(f"best strict F1 {best:.4f} with: {' '.join(flags(current))}")


if __name__ == "__main__":
    main()
