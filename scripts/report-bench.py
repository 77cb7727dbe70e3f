#!/usr/bin/env python3
"""Writes a synthetic `bitext run` output folder (manifest.json, corpus.jsonl) for
measuring `bitext report` at scale: ARTICLES articles of PAIRS scored pairs each,
sentences of news-like length, about 2% of translations rejected by the engine.

    scripts/report-bench.py 1000 10 /tmp/bench-10k   # 10,000 pairs
    bitext report /tmp/bench-10k
"""

import json
import random
import sys
from pathlib import Path

WORDS = ("the city council said on monday that its budget for roads schools and "
         "hospitals would rise by five percent next year after a long debate").split()
HAN = "国家统计局周一公布今年第一季度国内生产总值增长这是自有记录以来的最高增速分析人士说"


def main(articles: int, pairs: int, out: Path) -> None:
    rng = random.Random(7)
    out.mkdir(parents=True, exist_ok=True)
    files, flagged_total = [], 0
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as corpus:
        for a in range(articles):
            path = f"news/{a // 100:03d}/article-{a:05d}.txt"
            rejected = []
            for i in range(pairs):
                src = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."
                tgt = "".join(rng.choice(HAN) for _ in range(rng.randint(12, 45))) + "。"
                score = round(min(1.0, max(0.0, rng.betavariate(5, 1.5))), 4)
                if rng.random() < 0.02:
                    rejected.append({"sentence": i, "reason": rng.choice(["WrongScript", "CopiedSource", "LengthCap"])})
                    score = 0.0
                corpus.write(json.dumps({
                    "doc": path, "src_lang": "en", "tgt_lang": "zh", "src": src, "tgt": tgt,
                    "src_ids": [i], "tgt_ids": [i], "score": score,
                }, ensure_ascii=False) + "\n")
            flagged_total += len(rejected)
            entry = {
                "path": path, "sha256": None, "bytes": 0, "status": "translated", "reason": None,
                "lang": "en", "paragraphs": 1, "sentences": pairs, "pairs": pairs,
                "flagged": len(rejected), "output": None, "counterpart": None, "counterpart_sha256": None,
            }
            if rejected:
                entry["rejected"] = rejected
            files.append(entry)
    n = articles * pairs
    manifest = {
        "tool": "bitext", "tool_version": "bench",
        "engine": {"kind": "qwen", "from": "en", "to": "zh", "signature": "synthetic"},
        "settings": {"globs": [], "formats": ["jsonl"], "shard": None, "batch_size": 32,
                     "max_batch_tokens": 4096, "chunk_sentences": 20000, "force": False, "pair_dir": None},
        "files": files,
        "totals": {"files": articles, "translated": articles, "skipped": 0, "failed": 0, "sentences": n,
                   "pairs": n, "flagged": flagged_total, "engine_sentences": n},
        "timings": {"read_s": 0.0, "translate_s": 0.0, "write_s": 0.0, "total_s": 0.0,
                    "engine_sentences_per_s": 0.0, "sentences_per_s": 0.0, "articles_per_min": 0.0},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
