#!/usr/bin/env python3
"""Reference re-implementation of the MT + length alignment prototype described in
../shared/notes/alignment-prototype.md. A diagnostic tool, not part of bitext: it
exists to find where `bitext align` (src/align/) and the prototype differ.

usage: prototype.py OUT_DIR [--mac DIR] [--embed DIR] [--set NAME=VALUE ...] [--dump CHAPTER]
                    [--tune NAME=V1,V2,... ...] [--compare CHAPTER JSONL]

Writes OUT_DIR/NNN.align ladders for every mac-dev chapter (score them with
`bitext eval align --gold DIR/gold --test OUT_DIR`) and prints its own strict F1.
--compare checks the scores `bitext align -f jsonl` reported for one chapter (with
its .trans) against this script's cosine of the same beads. --tune runs coordinate descent on strict F1 over the given values (documents are
prepared once). With --dump, prints the per-bead score components of that chapter's path.

What it does, following the notes:
- lexical: TF-IDF cosine between the MT (zh/NNN.trans) and the English, mean over
  three feature sets (character 3-5-grams, stopword-free word unigrams cut to
  5-letter prefixes, character 2-4-grams); merged beads compare concatenations, whose
  dot products and norms come from 2-D prefix sums of the Gram matrices;
- length: Gale-Church on character counts (Chinese characters on the zh side), the
  en/zh ratio estimated per document, s^2 = 6.8, original Gale & Church delta;
- a Bertalign-style margin: the bead's similarity minus the mean similarity of its
  neighbouring beads (the same bead with one side shifted by one sentence);
- per-bead-type penalties, skip -0.6;
- beads 0-1, 1-0, 1-1 .. 1-5, 2-1 .. 4-1, 2-2, 2-3, 3-2; full DP in a +-30 band
  around the length diagonal;
- a second pass inside +-8 sentences of the first path that adds an IDF-weighted
  character 2-4-gram overlap F-score (beta 0.5, precision on the MT side).
- with --embed, e5 terms from the vectors `bitext align --embed` cached (blocks of up to
  e_span sentences; longer or uncached blocks sum their sentences' vectors): the
  margin-normalised cosine of Bertalign (w_emb; e_lp=1 multiplies it by Bertalign's
  log2(1 + short/long) length penalty on UTF-8 bytes, e_nb=bertalign averages the
  neighbours as Bertalign does), and a second one of the MT against the English (w_emb2).
  e_sum=1 keeps the e5 term alone. Bertalign's own setup, which the notes report at 0.849:
  --set e_sum=1 w_emb=1 skip=0.1 w_f=0 max_bead=5 e_lp=1 e_nb=bertalign (0.848 here).
  With bitext's MT + length weights (--set w_len=0.02 w_lex=1.5 w_f=2.0 margin=0 skip=0.3
  p12=0.05 p13=0.1 p22=0.15 p14=0.15 p23=0.2 p15=0.2: 0.870), w_emb=3 gives 0.880 and
  w_emb2=1 on top 0.885 (MT blocks summed from single-sentence vectors); the notes
  report 0.880, 0.899 and 0.902.
numpy only (/work/venv).
"""
import argparse
import json
import math
import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np

erfc = np.vectorize(math.erfc)

STOPWORDS = set(
    "a an the and or but of to in on at for with by from as is are was were be been it its this that "
    "these those he she they we you i his her their our my me him them us not no so if do did had has "
    "have will would there".split()
)

P = dict(
    w_lex=1.0,  # weight of the mean TF-IDF cosine
    margin=1.0,  # share of the neighbours' mean cosine subtracted
    w_len=0.1,  # weight of the Gale-Church log-probability
    s2=6.8,
    gc="orig",  # orig: delta in target chars (Gale & Church); src: in source chars (bitext)
    w_f=1.0,  # weight of the overlap F-score (second pass)
    beta=0.5,
    skip=0.6,
    band=30,
    window=8,
    norm=0,  # 1: L2-normalise each sentence's TF-IDF vector before concatenating
    shift="one",  # neighbour shift: one sentence, or the range's own length ("own")
    p12=0.0,
    p13=0.1,
    p22=0.2,
    p14=0.2,
    p23=0.3,
    p15=0.3,
    max_bead=6,  # most sentences in a bead: 6 keeps 1-5, 5 is Bertalign's m+n <= 5
    w_emb=0.0,  # weight of the e5 term (needs --embed)
    e_margin=1.0,  # share of the mean neighbour cosine subtracted (Bertalign: 1)
    e_lp=0,  # 1: multiply the e5 term by Bertalign's log2(1 + min/max) length penalty
    e_span=4,  # longest block with its own vector; longer ones sum their sentences'
    e_nb="mean",  # mean: average the sides that have neighbours; bertalign: its quirks
    w_emb2=0.0,  # weight of the second e5 term: the MT (English) against the English
    e_sum=0.0,  # the e5 term alone: 1 replaces the whole score by it (Bertalign)
)
SHAPES = [(1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (2, 2), (1, 4), (4, 1), (2, 3), (3, 2), (1, 5)]


class Vectors:
    """Vectors of the bitext embedding cache: shards of records, each the SHA-256 of
    the text followed by `dim` little-endian f32 (src/model/embed/cache.rs)."""

    def __init__(self, folder):
        folder = Path(folder)
        self.dim = int(folder.name.rsplit("-", 1)[1])
        rec = 32 + 4 * self.dim
        self.known, self.missing, self.found = {}, 0, 0
        for f in folder.glob("*.vec"):
            b = f.read_bytes()
            for k in range(0, len(b), rec):
                self.known[b[k:k + 32]] = np.frombuffer(b[k + 32:k + rec], dtype="<f4")

    def get(self, text):
        v = self.known.get(hashlib.sha256(text.encode()).digest())
        if v is None:
            self.missing += 1
        else:
            self.found += 1
        return v

    def blocks(self, sents, glue):
        """out[k - 1][s]: unit vector of sentences s..s+k (k = 1..e_span); blocks the
        cache lacks get the normalised sum of their sentences' vectors."""
        out = []
        single = [self.get(t) for t in sents]
        single = np.stack([v if v is not None else np.zeros(self.dim, "f4") for v in single])
        for k in range(1, P["e_span"] + 1):
            rows = []
            for s in range(len(sents) - k + 1):
                v = self.get(glue.join(sents[s:s + k])) if k > 1 else single[s]
                if v is None:
                    v = single[s:s + k].sum(0)
                rows.append(v / max(np.linalg.norm(v), 1e-12))
            out.append(np.array(rows, dtype=np.float64).reshape(-1, self.dim))
        return out


VEC = None


def penalty(a, b):
    key = {(1, 1): None, (1, 2): "p12", (2, 1): "p12", (1, 3): "p13", (3, 1): "p13", (2, 2): "p22",
           (1, 4): "p14", (4, 1): "p14", (2, 3): "p23", (3, 2): "p23", (1, 5): "p15"}[(a, b)]
    return 0.0 if key is None else P[key]


def features(kind, text):
    if kind == "words":
        out = []
        for w in re.split(r"\W+", text.lower()):
            if w and w not in STOPWORDS:
                out.append(w[:5])
        return out
    lo, hi = kind
    s = " ".join(text.lower().split())
    return [s[i:i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)]


def tfidf(kind, a, b):
    """Dense TF-IDF matrices of both sides, IDF over the sentences of both."""
    grams = [Counter(features(kind, t)) for t in a + b]
    vocab = {}
    for g in grams:
        for k in g:
            vocab.setdefault(k, len(vocab))
    x = np.zeros((len(grams), len(vocab)), dtype=np.float64)
    for i, g in enumerate(grams):
        for k, c in g.items():
            x[i, vocab[k]] = c
    df = (x > 0).sum(0)
    idf = np.log((len(grams) + 1) / (df + 1)) + 1
    x *= idf
    if P["norm"]:
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x[: len(a)], x[len(a):]


def prefix2(g):
    p = np.zeros((g.shape[0] + 1, g.shape[1] + 1))
    p[1:, 1:] = g.cumsum(0).cumsum(1)
    return p


def block(p, i0, i1, j0, j1):
    return p[i1, j1] - p[i0, j1] - p[i1, j0] + p[i0, j0]


class Doc:
    def __init__(self, zh, mt, en):
        self.zh, self.mt, self.en = zh, mt, en
        self.n, self.m = len(zh), len(en)
        self.tabs = []
        for kind in [(3, 5), "words", (2, 4)]:
            xs, xt = tfidf(kind, mt, en)
            self.tabs.append((prefix2(xs @ xt.T), prefix2(xs @ xs.T), prefix2(xt @ xt.T)))
        xs, xt = tfidf((2, 4), mt, en)
        if P["norm"]:  # the F-score wants raw weighted counts
            P["norm"], keep = 0, 1
            xs, xt = tfidf((2, 4), mt, en)
            P["norm"] = keep
        both = (xs.sum(0) > 0) & (xt.sum(0) > 0)  # only shared n-grams can overlap
        self.cs = np.vstack([np.zeros(both.sum()), xs[:, both].cumsum(0)])
        self.ct = np.vstack([np.zeros(both.sum()), xt[:, both].cumsum(0)])
        self.ts = np.concatenate([[0], xs.sum(1).cumsum()])
        self.tt = np.concatenate([[0], xt.sum(1).cumsum()])
        self.ls = np.array([len("".join(t.split())) for t in zh], dtype=float)
        self.lt = np.array([len("".join(t.split())) for t in en], dtype=float)
        self.ratio = self.lt.sum() / max(self.ls.sum(), 1)
        self.pls = np.concatenate([[0], self.ls.cumsum()])
        self.plt = np.concatenate([[0], self.lt.cumsum()])
        if VEC is not None:
            self.embs = [(VEC.blocks(zh, ""), VEC.blocks(en, " "))]
            if P["w_emb2"]:
                self.embs.append((VEC.blocks(mt, " "), self.embs[0][1]))
            # Bertalign's length penalty compares UTF-8 bytes (tgt scaled by the ratio).
            self.bs = np.array([len(t.encode()) for t in zh], dtype=float)
            self.bt = np.array([len(t.encode()) for t in en], dtype=float)
        # Band around the diagonal of cumulative length shares.
        share_t = self.plt / max(self.plt[-1], 1)
        self.band = np.zeros((self.n + 1, self.m + 1), bool)
        for i in range(self.n + 1):
            j = int(np.searchsorted(share_t, self.pls[i] / max(self.pls[-1], 1)))
            self.band[i, max(0, j - P["band"]): min(self.m, j + P["band"]) + 1] = True

    def cos_matrix(self, a, b):
        """Mean cosine of every a-b bead, indexed by its end cell; NaN outside the grid."""
        n, m = self.n, self.m
        out = np.full((n + 1, m + 1), np.nan)
        total = np.zeros((n + 1 - a, m + 1 - b))
        for g, ss, tt in self.tabs:
            d = g[a:, b:] - g[:-a or None, b:] - g[a:, :-b or None] + g[:-a or None, :-b or None]
            di, dj = np.arange(a, n + 1), np.arange(b, m + 1)
            ns = ss[di, di] - 2 * ss[di - a, di] + ss[di - a, di - a]
            nt = tt[dj, dj] - 2 * tt[dj - b, dj] + tt[dj - b, dj - b]
            nn = np.sqrt(np.maximum(ns, 0)[:, None] * np.maximum(nt, 0)[None, :])
            total += np.where(nn > 0, d / np.where(nn > 0, nn, 1), 0.0)
        out[a:, b:] = total / len(self.tabs)
        return out

    def block_vecs(self, side, k, n):
        """Vectors of every k-sentence block (k beyond e_span: normalised sums)."""
        if k <= len(side):
            return side[k - 1]
        v = sum(side[0][s:n - k + 1 + s] for s in range(k))
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def emb_matrix(self, a, b, pair=0):
        """Margin-normalised e5 cosine of every a-b bead, by end cell (Bertalign)."""
        n, m = self.n, self.m
        A, B = self.embs[pair]
        va, vb = self.block_vecs(A, a, n), self.block_vecs(B, b, m)
        c = va @ vb.T
        x = va @ B[0].T  # the source block against every target sentence
        left = np.full(c.shape, np.nan)
        right = np.full(c.shape, np.nan)
        left[:, 1:] = x[:, : m - b]  # sentence j-b-1 for the column j-b
        right[:, : m - b] = x[:, b:m]  # sentence j
        y = A[0] @ vb.T
        up = np.full(c.shape, np.nan)
        down = np.full(c.shape, np.nan)
        up[1:, :] = y[: n - a, :]
        down[: n - a, :] = y[a:n, :]
        if P["e_nb"] == "bertalign":
            side = lambda p, q: np.where(np.isnan(p) | np.isnan(q), np.nan_to_num(p) + np.nan_to_num(q),
                                         (p + q) / 2)
            nb = (side(left, right) + side(up, down)) / 2
        else:
            with np.errstate(all="ignore"):
                t, s_ = np.nanmean(np.stack([left, right]), 0), np.nanmean(np.stack([up, down]), 0)
                nb = np.nan_to_num(np.nanmean(np.stack([t, s_]), 0))
        out = np.full((n + 1, m + 1), np.nan)
        out[a:, b:] = c - P["e_margin"] * nb
        if P["e_lp"]:
            ls = np.convolve(self.bs, np.ones(a), "valid") + (a - 1)  # joined with spaces
            lt = (np.convolve(self.bt, np.ones(b), "valid") + (b - 1)) * (self.bs.sum() / self.bt.sum())
            lo = np.minimum(ls[:, None], lt[None, :])
            hi = np.maximum(np.maximum(ls[:, None], lt[None, :]), 1e-9)
            out[a:, b:] *= np.log2(1 + lo / hi)
        return out

    def length_matrix(self, a, b):
        n, m = self.n, self.m
        out = np.full((n + 1, m + 1), np.nan)
        l1 = (self.pls[a:] - self.pls[:n + 1 - a])[:, None]
        l2 = (self.plt[b:] - self.plt[:m + 1 - b])[None, :]
        c = self.ratio
        mean = np.maximum((l1 + l2 / c) / 2, 1.0)
        if P["gc"] == "orig":
            d = (c * l1 - l2) / np.sqrt(P["s2"] * mean)
        else:
            d = (l2 / c - l1) / np.sqrt(P["s2"] * mean)
        out[a:, b:] = np.log(np.maximum(erfc(np.abs(d) / math.sqrt(2)), 1e-12))
        return out

    def tables(self):
        """Score components of every bead shape, as matrices over end cells."""
        self.comp = {}
        for a, b in SHAPES:
            c = self.cos_matrix(a, b)
            sa, sb = (1, 1) if P["shift"] == "one" else (a, b)
            shifted = []
            for di, dj in ((sa, 0), (-sa, 0), (0, sb), (0, -sb)):
                x = np.full_like(c, np.nan)
                src = c[max(di, 0): c.shape[0] + min(di, 0), max(dj, 0): c.shape[1] + min(dj, 0)]
                x[max(-di, 0): c.shape[0] + min(-di, 0), max(-dj, 0): c.shape[1] + min(-dj, 0)] = src
                shifted.append(x)
            stack = np.stack(shifted)
            cnt = (~np.isnan(stack)).sum(0)
            nb = np.where(cnt > 0, np.nansum(stack, 0) / np.maximum(cnt, 1), 0.0)
            self.comp[a, b] = dict(cos=c, nb=nb, len=self.length_matrix(a, b), pen=penalty(a, b))
            if VEC is not None:
                self.comp[a, b]["emb"] = self.emb_matrix(a, b)
                if P["w_emb2"]:
                    self.comp[a, b]["emb2"] = self.emb_matrix(a, b, 1)

    def overlaps(self, cells):
        """Precision and recall of the shared IDF-weighted n-grams of every bead ending in
        `cells` (memoised: later passes reuse them)."""
        if not hasattr(self, "pr"):
            self.pr = {k: (np.full((self.n + 1, self.m + 1), np.nan),) * 1 + (np.full((self.n + 1, self.m + 1), np.nan),)
                       for k in SHAPES}
        for a, b in SHAPES:
            pm, rm = self.pr[a, b]
            for i in range(a, self.n + 1):
                js = np.nonzero(cells[i] & np.isnan(pm[i]))[0]
                js = js[js >= b]
                if len(js) == 0:
                    continue
                va = self.cs[i] - self.cs[i - a]
                vb = self.ct[js] - self.ct[js - b]
                common = np.minimum(va[None, :], vb).sum(1)
                pm[i, js] = common / max(self.ts[i] - self.ts[i - a], 1e-9)
                rm[i, js] = common / np.maximum(self.tt[js] - self.tt[js - b], 1e-9)

    def fscore(self, a, b):
        p, r = self.pr[a, b]
        b2 = P["beta"] ** 2
        den = b2 * p + r
        return np.where(den > 0, (1 + b2) * p * r / np.where(den > 0, den, 1), 0.0)  # NaN off the cells

    def components(self, i0, i1, j0, j1, rescore):
        k = self.comp[i1 - i0, j1 - j0]
        out = {key: (v[i1, j1] if isinstance(v, np.ndarray) else v) for key, v in k.items()}
        out["f"] = self.fscore(i1 - i0, j1 - j0)[i1, j1] if rescore else 0.0
        return out

    def dp(self, allowed, rescore):
        n, m = self.n, self.m
        best = np.full((n + 1, m + 1), -np.inf)
        shapes = [(0, 1), (1, 0)] + SHAPES
        base = {}
        for a, b in SHAPES:
            k = self.comp[a, b]
            base[a, b] = P["w_lex"] * (k["cos"] - P["margin"] * k["nb"]) + P["w_len"] * k["len"] - k["pen"]
            if "emb" in k:
                base[a, b] = base[a, b] * (1 - P["e_sum"]) + P["w_emb"] * k["emb"]
            if "emb2" in k:
                base[a, b] = base[a, b] + P["w_emb2"] * k["emb2"]
            if rescore:
                base[a, b] = base[a, b] + P["w_f"] * self.fscore(a, b)
        back = np.full((n + 1, m + 1), -1)
        for i in range(n + 1):
            # Beads that use source sentences come from earlier rows: all columns at once.
            row = np.full(m + 1, -np.inf)
            for k, (a, b) in enumerate(shapes):
                if a == 0 or a > i or a + b > P["max_bead"]:
                    continue
                s = np.full(m + 1 - b, -P["skip"]) if b == 0 else base[a, b][i, b:]
                v = best[i - a, : m + 1 - b] + s
                better = v > row[b:]
                row[b:][better] = v[better]
                back[i, b:][better] = k
            row[~allowed[i]] = -np.inf
            if i == 0:
                row[0] = 0.0
            # Target sentences without a partner stay in this row: a left-to-right sweep.
            for j in np.nonzero(allowed[i])[0]:
                if j > 0 and row[j - 1] - P["skip"] > row[j]:
                    row[j], back[i, j] = row[j - 1] - P["skip"], 0
            best[i] = row
        path, (i, j) = [], (n, m)
        while (i, j) != (0, 0):
            a, b = shapes[back[i, j]]
            path.append((i - a, i, j - b, j))
            i, j = i - a, j - b
        return path[::-1]

    def align(self):
        n, m = self.n, self.m
        self.tables()
        first = self.dp(self.band, False)
        if P["w_f"] == 0:
            return first
        near = np.zeros_like(self.band)
        w = P["window"]
        for i0, i1, j0, j1 in first:
            near[max(0, i1 - w): i1 + w + 1, max(0, j1 - w): j1 + w + 1] = True
        near[0, 0] = near[n, m] = True
        near &= self.band
        self.overlaps(near)
        return self.dp(near, True)


def read(path):
    return [line.strip() for line in Path(path).read_text().splitlines()]


def ladder(path):
    return "".join(f"[{','.join(map(str, range(i0, i1)))}]:[{','.join(map(str, range(j0, j1)))}]\n"
                   for i0, i1, j0, j1 in path)


def run(docs, gold, out=None, dump=None):
    """Aligns every document; returns strict F1 (micro over documents)."""
    tp = ntest = ngold = 0
    for name, doc in docs.items():
        path = doc.align()
        text = ladder(path)
        if out:
            (out / f"{name}.align").write_text(text)
        test = set(text.splitlines())
        tp, ntest, ngold = tp + len(gold[name] & test), ntest + len(test), ngold + len(gold[name])
        if dump == name:
            for i0, i1, j0, j1 in path:
                if i0 == i1 or j0 == j1:
                    print(f"{i0}-{i1} {j0}-{j1} skip")
                    continue
                k = doc.components(i0, i1, j0, j1, P["w_f"] != 0)
                print(f"{i0}-{i1} {j0}-{j1} " + " ".join(f"{key}={v:.4f}" for key, v in k.items()))
    p, r = tp / ntest, tp / ngold
    return 2 * p * r / (p + r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mac", default=str(Path(__file__).resolve().parents[2] / "../shared/data/mac-dev"))
    ap.add_argument("--set", nargs="*", default=[])
    ap.add_argument("--tune", nargs="*", default=[])
    ap.add_argument("--dump")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--embed", help="folder of e5 vectors in the bitext embedding cache "
                    "(~/.cache/bitext/embeddings/<fingerprint>); enables the e5 terms")
    args = ap.parse_args()
    for kv in args.set:
        k, v = kv.split("=")
        P[k] = type(P[k])(v)
    global VEC
    if args.embed:
        VEC = Vectors(args.embed)
    mac, out = Path(args.mac), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    docs, gold = {}, {}
    for zh in sorted((mac / "zh").glob("[0-9][0-9][0-9]")):
        docs[zh.name] = Doc(read(zh), read(f"{zh}.trans"), read(mac / "en" / zh.name))
        lines = (mac / "gold" / f"{zh.name}.align").read_text().splitlines()
        gold[zh.name] = set(line.strip() for line in lines if line.strip())
    if args.compare:
        doc = docs[args.compare[0]]
        diffs = []
        for line in Path(args.compare[1]).read_text().splitlines():
            bead = json.loads(line)
            s, t = bead["src_ids"], bead["tgt_ids"]
            if s and t:
                ours = doc.cos_matrix(len(s), len(t))[s[-1] + 1, t[-1] + 1]
                diffs.append(abs(ours - bead["score"]))
        print(f"{len(diffs)} beads, cosine differences: max {max(diffs):.2e}, mean {np.mean(diffs):.2e}")
        return
    if VEC is not None:
        print(f"e5 vectors: {VEC.found} texts from the cache, {VEC.missing} missing (summed)")
    best = run(docs, gold)
    print(f"start {best:.4f}", flush=True)
    for _ in range(2 if args.tune else 0):
        improved = False
        for kv in args.tune:
            k, values = kv.split("=")
            for v in values.split(","):
                keep = P[k]
                P[k] = type(keep)(v)
                f = run(docs, gold)
                if f > best + 1e-9:
                    best, improved = f, True
                    print(f"{best:.4f} {k}={v}", flush=True)
                else:
                    P[k] = keep
        if not improved:
            break
    f = run(docs, gold, out, args.dump)
    print(f"strict F1 {f:.4f}  {' '.join(f'{k}={v}' for k, v in P.items())}")


if __name__ == "__main__":
    main()
