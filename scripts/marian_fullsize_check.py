#!/usr/bin/env python3
"""Full-size agreement check (run by hand, not in CI): bitext vs HF transformers on a
random MarianMTModel shaped like opus-mt-en-zh (d_model 512, 6+6 layers, 8 heads,
FFN 2048, vocab 65001, swish, pad 65000, eos 0).

    /work/venv/bin/python scripts/marian_fullsize_check.py target/debug/bitext [N] [BEAM] [BATCH]

Builds the model in /tmp/bitext-marian-fullsize (the tokenizer is the tiny en-zh
fixture's, padded to 65001 vocabulary entries), translates the first N lines of
wmt21 en-zh with both engines forced to exactly 32 new tokens (min = max), 2 threads,
prints the time of each from this one run and whether the outputs are identical.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "marian" / "tiny-en-zh"
WMT = ROOT.parent / "shared" / "data" / "wmt21" / "newstest2021.en-zh.src.en"
WORK = Path("/tmp/bitext-marian-fullsize")
NEW_TOKENS = 32


def build_model(out):
    out.mkdir(parents=True, exist_ok=True)
    vocab = json.loads((FIXTURE / "vocab.json").read_text(encoding="utf-8"))
    vocab.pop("<pad>")
    while len(vocab) < 65000:
        vocab[f"<filler{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = 65000
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for f in ("source.spm", "target.spm"):
        shutil.copy(FIXTURE / f, out / f)
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=65001, decoder_vocab_size=65001, d_model=512, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
        max_position_embeddings=512, activation_function="swish", pad_token_id=65000, eos_token_id=0,
        decoder_start_token_id=65000, forced_eos_token_id=0, scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    MarianMTModel(config).eval().save_pretrained(out)


def run_hf(model_dir, lines, beam, batch):
    torch.set_num_threads(2)
    tok = MarianTokenizer(source_spm=str(model_dir / "source.spm"), target_spm=str(model_dir / "target.spm"),
                          vocab=str(model_dir / "vocab.json"))
    model = MarianMTModel.from_pretrained(model_dir).eval()
    inputs = [">>cmn_Hans<< " + l for l in lines]
    start = time.time()
    out = []
    for i in range(0, len(inputs), batch):
        enc = tok(inputs[i : i + batch], return_tensors="pt", padding=True)
        with torch.no_grad():
            ids = model.generate(**enc, num_beams=beam, min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS,
                                 do_sample=False, length_penalty=1.0, early_stopping=False,
                                 bad_words_ids=[[65000]], forced_eos_token_id=0, no_repeat_ngram_size=0)
        out += [tok.decode(r, skip_special_tokens=True) for r in ids]
    return out, time.time() - start


def run_bitext(binary, model_dir, input_path, beam, batch):
    cmd = [binary, "translate", "--from", "en", "--model-dir", str(model_dir), "--lines", "--threads", "2",
           "--beam", str(beam), "--batch-size", str(batch), "--min-new-tokens", str(NEW_TOKENS),
           "--max-new-tokens", str(NEW_TOKENS), "--no-repeat-ngram", "0", "--length-cap", "1000,1000",
           str(input_path)]
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return done.stdout.splitlines(), time.time() - start


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    beam = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    model_dir = WORK / "model"
    if not (model_dir / "model.safetensors").exists():
        build_model(model_dir)
    lines = [l.strip() for l in WMT.read_text(encoding="utf-8").splitlines() if l.strip()][:n]
    input_path = WORK / "input.txt"
    input_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    hf, hf_s = run_hf(model_dir, lines, beam, batch)
    bt, bt_s = run_bitext(binary, model_dir, input_path, beam, batch)
    tokens = n * NEW_TOKENS
    print(f"beam={beam} batch={batch} sentences={n} target tokens={tokens}")
    print(f"HF transformers {torch.__version__}: {hf_s:.1f}s = {tokens / hf_s:.0f} tok/s")
    print(f"bitext (process wall time, incl. loading): {bt_s:.1f}s = {tokens / bt_s:.0f} tok/s, "
          f"ratio bitext/HF = {hf_s / bt_s:.2f}")
    same = sum(a == b for a, b in zip(hf, bt))
    print(f"identical outputs: {same}/{n}")
    sys.exit(0 if same == n and len(bt) == n else 1)


if __name__ == "__main__":
    main()
