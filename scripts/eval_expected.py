#!/usr/bin/env python3
"""Expected values for bitext's scoring tests, computed by the reference tools.

Writes tests/fixtures/eval/expected.json:
  - whitespace:  code points Python's str.isspace() accepts (sacreBLEU splits on these);
  - zh_ranges:   inclusive code point ranges sacreBLEU's zh tokenizer splits off;
  - tokenize:    sacreBLEU 2.6.0 tokenizer output on tricky strings;
  - bleu, chrf:  sacreBLEU 2.6.0 corpus and sentence scores, text lines and JSON;
  - wmt21:       full-precision scores for ../shared/data/wmt21 (when present);
  - align:       Vecalign score.py counts for ../shared/data/mac-dev gold against a shifted copy.

Floats are written as strings (Python's repr) so that tests can parse them without loss.

Run from the repository root with the reference venv:  /work/venv/bin/python scripts/eval_expected.py
"""

import json
import os
import sys
from collections import defaultdict

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

assert sacrebleu.__version__ == "2.6.0", sacrebleu.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("BITEXT_SHARED", os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "tests", "fixtures", "eval", "expected.json")

TRICKY = [
    "Hello, world! It's 3.14 and 1,000,000 people.",
    "The U.S.A. (United States) \u2014 \u201cquoted\u201d \u2018single\u2019 \u2026 end",
    "\uff11\uff12\uff13\uff0c\uff14\uff15\uff16\uff21\uff22\uff23\uff01\u5168\u89d2\u5b57\u7b26",
    "\u4ed6\u8bf4\uff1a\u201c\u6211\u4eec\u57282021\u5e74\u8d5a\u4e861,234.5\u4ebf\u5143\u3002\u201d",
    "e-mail 1990-2000 -5 x-1 3- 4-\u20135",
    "&quot;html&quot; &amp; &lt;tag&gt; &apos; &amp;amp;",
    "<skipped> text -\nnext",
    "price: $5.00/kg @home #tag 100% a_b ~tilde^ `tick` {brace} [bracket] |pipe| \\back",
    "end with number 2021.",
    "... a..b ,,, a.,b 1.,2 1.2.3 .5 5. ,5",
    "Mixed \u4e2d\u6587English\u6df7\u5408123\u6d4b\u8bd5\u3002",
    "\u00dcn\u00efc\u00f6d\u00e9 fa\u00e7ade na\u00efve Stra\u00dfe \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3 \u0130stanbul",
    "emoji \U0001f600 \u263a \u2605 \u20ac100 \u00a5200 \u00a33 \U00020000\U0002a6d6",
    "tabs\tand  double  spaces\u3000ideographic\u00a0nbsp",
    "  leading and trailing   ",
    "",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u30ab\u30bf\u30ab\u30ca\u3001\uff8a\uff9d\uff76\uff78",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "sep\x1fchar and zero\u200bwidth",
    "\u0663.\u0661\u0664 Arabic digits \u0663,\u0660\u0660\u0660",
    "x\u00b2+y\u00b3=z\u00bd \u2160 \u2461",
    "\u2014dash\u2013 \u2010hyphen \u00abguillemets\u00bb \u00bfqu\u00e9?",
    "(hi) 'quote' \"double\" end.",
]

TOKENIZERS = ["13a", "zh", "intl", "char", "none"]

# Small corpora: (hypotheses, [reference stream, ...])
HYPS = [
    "The cat sat on the mat.",
    "It costs $1,000.50 in the U.S.",
    "\u4ed6\u8bf4\uff1a\u201c\u6211\u4eec\u57282021\u5e74\u8d5a\u4e861,234.5\u4ebf\u5143\u3002\u201d",
    "",
    "Completely different words here",
    "A short one",
    "THE Quick brown fox jumps over the lazy dog!",
    "\uff11\uff12\uff13 full-width \uff21\uff22\uff23",
]
REF_A = [
    "The cat is on the mat.",
    "It costs $1,000.50 in the US.",
    "\u4ed6\u8bf4\uff1a\u201c\u6211\u4eec2021\u5e74\u8d5a\u4e861,234.5\u4ebf\u5143\u3002\u201d",
    "Nothing was said.",
    "Nothing in common at all",
    "A rather longer reference sentence than the hypothesis",
    "The quick brown fox jumped over the lazy dog.",
    "123 full-width ABC",
]
REF_B = [
    "There is a cat on the mat.",
    "The price is $1,000.50 in the U.S.",
    "\u4ed6\u8bf4\u6211\u4eec\u57282021\u5e74\u8d5a\u4e86\u94b1\u3002",
    "",
    "Completely other words",
    "A short reference",
    "the quick brown fox jumps over the lazy dog",
    "\uff11\uff12\uff13 full width \uff21\uff22\uff23",
]


def whitespace():
    return [c for c in range(0x110000) if chr(c).isspace()]


def zh_ranges():
    ranges, start = [], None
    is_zh = TokenizerZh._is_chinese_char
    for c in range(0x110001):
        inside = c < 0x110000 and is_zh(chr(c))
        if inside and start is None:
            start = c
        elif not inside and start is not None:
            ranges.append([start, c - 1])
            start = None
    return ranges


def tokenize_cases():
    from sacrebleu.metrics.bleu import _get_tokenizer
    cases = []
    for name in TOKENIZERS:
        tok = _get_tokenizer(name)()
        for line in TRICKY:
            cases.append({"tokenize": name, "line": line, "tokens": tok(line)})
    return cases


def bleu_case(hyps, refs, sentence=False, **kw):
    metric = BLEU(**kw)
    if sentence:
        score = metric.sentence_score(hyps[0], [r[0] for r in refs])
    else:
        score = metric.corpus_score(hyps, refs)
    sig = metric.get_signature().format()
    return {
        "options": kw,
        "sentence": sentence,
        "hyps": hyps,
        "refs": refs,
        "score": repr(score.score),
        "counts": score.counts,
        "totals": score.totals,
        "precisions": [repr(p) for p in score.precisions],
        "bp": repr(score.bp),
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
        "signature": sig,
        "text": score.format(width=4, signature=sig),
        "json": score.format(width=2, signature=sig, is_json=True),
    }


def bleu_cases():
    cases = []
    one, two = [REF_A], [REF_A, REF_B]
    for tok in TOKENIZERS:
        cases.append(bleu_case(HYPS, one, tokenize=tok))
        cases.append(bleu_case(HYPS, two, tokenize=tok))
    for smooth, value in [("exp", None), ("floor", None), ("floor", 0.5), ("add-k", None),
                          ("add-k", 2.0), ("none", None)]:
        # Two lines with no 4-gram match make smoothing visible.
        cases.append(bleu_case(HYPS[4:6], [REF_A[4:6]], smooth_method=smooth, smooth_value=value))
        cases.append(bleu_case(HYPS, two, smooth_method=smooth, smooth_value=value))
    cases.append(bleu_case(HYPS, two, lowercase=True))
    cases.append(bleu_case(HYPS, one, lowercase=True, tokenize="intl"))
    cases.append(bleu_case(HYPS, one, effective_order=True))
    cases.append(bleu_case(["no match"], [["nothing"]]))
    cases.append(bleu_case([""], [[""]]))
    for i in range(len(HYPS)):
        for smooth in ["exp", "floor", "add-k", "none"]:
            cases.append(bleu_case([HYPS[i]], [[REF_A[i]], [REF_B[i]]], sentence=True,
                                   effective_order=True, smooth_method=smooth))
    return cases


def chrf_case(hyps, refs, sentence=False, **kw):
    metric = CHRF(**kw)
    if sentence:
        score = metric.sentence_score(hyps[0], [r[0] for r in refs])
    else:
        score = metric.corpus_score(hyps, refs)
    sig = metric.get_signature().format()
    return {
        "options": kw,
        "sentence": sentence,
        "hyps": hyps,
        "refs": refs,
        "score": repr(score.score),
        "signature": sig,
        "text": score.format(width=4, signature=sig),
        "json": score.format(width=2, signature=sig, is_json=True),
    }


def chrf_cases():
    cases = []
    one, two = [REF_A], [REF_A, REF_B]
    for word_order in [0, 1, 2]:
        for eps in [False, True]:
            cases.append(chrf_case(HYPS, one, word_order=word_order, eps_smoothing=eps))
            cases.append(chrf_case(HYPS, two, word_order=word_order, eps_smoothing=eps))
    cases.append(chrf_case(HYPS, two, lowercase=True, word_order=2))
    cases.append(chrf_case(HYPS, one, whitespace=True))
    cases.append(chrf_case(HYPS, one, char_order=4, beta=1))
    cases.append(chrf_case([""], [[""]]))
    cases.append(chrf_case(["a"], [[""]]))
    cases.append(chrf_case([""], [["a"]]))
    for i in range(len(HYPS)):
        for word_order in [0, 2]:
            cases.append(chrf_case([HYPS[i]], [[REF_A[i]], [REF_B[i]]], sentence=True,
                                   word_order=word_order))
            cases.append(chrf_case([HYPS[i]], [[REF_B[i]]], sentence=True,
                                   word_order=word_order))
    return cases


def read_lines(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for line in f]


def wmt21():
    data = os.path.join(SHARED, "data", "wmt21")
    if not os.path.isdir(data):
        print(f"skipping wmt21: {data} absent", file=sys.stderr)
        return None
    out = {}
    for pair in ["en-zh", "zh-en"]:
        tgt = pair.split("-")[1]
        hyps = read_lines(os.path.join(data, f"newstest2021.{pair}.hyp.Online-B.{tgt}"))
        refs = [read_lines(os.path.join(data, f"newstest2021.{pair}.ref.A.{tgt}"))]
        bleu = BLEU(trg_lang=tgt)
        b = bleu.corpus_score(hyps, refs)
        c = CHRF().corpus_score(hyps, refs)
        cpp = CHRF(word_order=2).corpus_score(hyps, refs)
        out[pair] = {
            "bleu": repr(b.score),
            "bleu_text": b.format(width=4, signature=bleu.get_signature().format()),
            "chrf": repr(c.score),
            "chrf_pp": repr(cpp.score),
        }
    return out


# --- Vecalign score.py (github.com/thompsonb/vecalign, score.py), transcribed ---

def _precision(goldalign, testalign):
    tpstrict = fpstrict = tplax = fplax = 0
    testalign = set([(tuple(x), tuple(y)) for x, y in testalign if len(x) or len(y)])
    goldalign = set([(tuple(x), tuple(y)) for x, y in goldalign if len(x) or len(y)])
    src_id_to_gold_tgt_ids = defaultdict(set)
    for gold_src, gold_tgt in goldalign:
        for gold_src_id in gold_src:
            for gold_tgt_id in gold_tgt:
                src_id_to_gold_tgt_ids[gold_src_id].add(gold_tgt_id)
    for (test_src, test_target) in testalign:
        if (test_src, test_target) == ((), ()):
            continue
        if (test_src, test_target) in goldalign:
            tpstrict += 1
            tplax += 1
        else:
            target_ids = set()
            for src_test_id in test_src:
                for tgt_id in src_id_to_gold_tgt_ids[src_test_id]:
                    target_ids.add(tgt_id)
            if set(test_target).intersection(target_ids):
                fpstrict += 1
                tplax += 1
            else:
                fpstrict += 1
                fplax += 1
    return [tpstrict, fpstrict, tplax, fplax]


def score_multiple(gold_list, test_list):
    p, r = [0, 0, 0, 0], [0, 0, 0, 0]
    for gold, test in zip(gold_list, test_list):
        p = [a + b for a, b in zip(p, _precision(gold, test))]
        # Recall: the same count with the roles swapped, insertions and deletions dropped.
        links = lambda beads: [(x, y) for x, y in beads if len(x) and len(y)]
        r = [a + b for a, b in zip(r, _precision(links(test), links(gold)))]
    div = lambda a, b: a / float(b) if b else 0.0
    ps, pl, rs, rl = div(p[0], p[0] + p[1]), div(p[2], p[2] + p[3]), div(r[0], r[0] + r[1]), div(r[2], r[2] + r[3])
    f = lambda a, b: 2 * (a * b) / (a + b) if a + b else 0.0
    return {"precision_counts": p, "recall_counts": r,
            "precision_strict": repr(ps), "recall_strict": repr(rs), "f1_strict": repr(f(ps, rs)),
            "precision_lax": repr(pl), "recall_lax": repr(rl), "f1_lax": repr(f(pl, rl))}


def read_alignments(path):
    from ast import literal_eval
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = [x.strip() for x in line.split(":") if len(x.strip())]
            out.append((literal_eval(fields[0]), literal_eval(fields[1])))
    return out


def shifted(beads):
    """The shifted copy the tests build: every target index plus one."""
    return [(src, [t + 1 for t in tgt]) for src, tgt in beads]


def align():
    gold_dir = os.path.join(SHARED, "data", "mac-dev", "gold")
    if not os.path.isdir(gold_dir):
        print(f"skipping align: {gold_dir} absent", file=sys.stderr)
        return None
    gold = [read_alignments(os.path.join(gold_dir, n)) for n in sorted(os.listdir(gold_dir))]
    return {
        "files": sorted(os.listdir(gold_dir)),
        "self": score_multiple(gold, gold),
        "shifted": score_multiple(gold, [shifted(g) for g in gold]),
    }


def main():
    expected = {
        "sacrebleu_version": sacrebleu.__version__,
        "whitespace": whitespace(),
        "zh_ranges": zh_ranges(),
        "tokenize": tokenize_cases(),
        "bleu": bleu_cases(),
        "chrf": chrf_cases(),
        "wmt21": wmt21(),
        "align": align(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
