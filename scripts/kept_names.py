#!/usr/bin/env python3
"""Counts the capitalised source words that Chinese translations keep in Latin letters.

usage: kept_names.py SRC REF HYP

SRC is English, REF and HYP Chinese, one segment a line. For each line, a capitalised word
of the source counts as kept by a translation when the translation contains it as a Latin
word. Prints the totals for the reference and the hypothesis, and how many the reference
keeps that the hypothesis does not (the names a translation wrote in Han instead).
"""
import re
import sys


def latin_words(text):
    return set(re.findall(r"[A-Za-z][A-Za-z0-9]*", text))


def main(src, ref, hyp):
    lines = zip(*(open(path, encoding="utf-8").read().splitlines() for path in (src, ref, hyp)))
    in_ref = in_hyp = ref_only = 0
    for s, r, h in lines:
        capitalised = {w for w in latin_words(s) if w[0].isupper()}
        kept_r, kept_h = latin_words(r) & capitalised, latin_words(h) & capitalised
        in_ref += len(kept_r)
        in_hyp += len(kept_h)
        ref_only += len(kept_r - kept_h)
    print(f"capitalised source words kept in Latin: reference {in_ref}, hypothesis {in_hyp}; "
          f"kept by the reference only {ref_only}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
