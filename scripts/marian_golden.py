#!/usr/bin/env python3
"""Builds the tiny Marian fixture models and HF transformers' golden outputs for them.

Run by hand (not in CI) from the repository root, with torch, transformers and
sentencepiece installed:

    /work/venv/bin/python scripts/marian_golden.py

For each direction (en→zh, zh→en) it trains a small SentencePiece pair on
../shared/data/wmt21, builds a joint vocab.json (with a few pieces deliberately left
out, so that the Rust tokenizer must map them to <unk>), creates a random
MarianMTModel with awkward sizes (odd head size, different head counts and depths in
encoder and decoder, non-zero final_logits_bias) and writes into
tests/fixtures/marian/tiny-<src>-<tgt>/:

- the model files: config.json, model.safetensors, source.spm, target.spm, vocab.json;
- golden.json: what HF's MarianTokenizer and MarianMTModel.generate produce:
  source ids, encoder states and first-step logits for a few inputs, greedy and
  num_beams=4 ids (unbatched and batched), the decoded strings, and runs with
  no_repeat_ngram_size and min_new_tokens.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

ROOT = Path(__file__).resolve().parent.parent
WMT = ROOT.parent / "shared" / "data" / "wmt21"
OUT = ROOT / "tests" / "fixtures" / "marian"

MAX_NEW_TOKENS = 24
BATCH = 8
N_SENTENCES = 40


def read_lines(name):
    return [l.strip() for l in (WMT / name).read_text(encoding="utf-8").splitlines() if l.strip()]


def train_spm(lines, vocab_size, coverage, prefix):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines))
        path = f.name
    spm.SentencePieceTrainer.train(
        input=path,
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=coverage,
        bos_id=-1,
        eos_id=0,
        unk_id=1,
        pad_id=-1,
        minloglevel=2,
    )
    os.unlink(path)
    return Path(str(prefix) + ".model")


def pieces(model_path):
    sp = spm.SentencePieceProcessor(model_file=str(model_path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_vocab(src_pieces, tgt_pieces, lang_token):
    """Marian's joint id space: </s>=0, <unk>=1, pieces, then <pad> last."""
    vocab = {"</s>": 0, "<unk>": 1}
    if lang_token:
        vocab[lang_token] = len(vocab)
    n = 0
    for p in src_pieces + tgt_pieces:
        if p in vocab or p in ("<s>", "</s>", "<unk>"):
            continue
        n += 1
        if n % 29 == 0:  # left out on purpose: these pieces must become <unk>
            continue
        vocab[p] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def make_model(vocab_size, seed):
    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=36,
        encoder_layers=3,
        decoder_layers=2,
        encoder_attention_heads=4,  # head size 9
        decoder_attention_heads=6,  # head size 6
        encoder_ffn_dim=52,
        decoder_ffn_dim=44,
        max_position_embeddings=256,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        pad_token_id=vocab_size - 1,
        eos_token_id=0,
        decoder_start_token_id=vocab_size - 1,
        forced_eos_token_id=0,
        init_std=0.15,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        bad_words_ids=[[vocab_size - 1]],
        num_beams=4,
        max_length=128,
    )
    model = MarianMTModel(config).eval()
    with torch.no_grad():
        model.final_logits_bias.normal_(0.0, 0.5)
        model.final_logits_bias[0, 0] += 1.5  # </s> is likely enough that some outputs end early
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.add_(torch.randn_like(p) * 0.1)  # non-trivial LayerNorm weights and biases
    return model


def generate(model, tok, sentences, batch, **kw):
    out = []
    for i in range(0, len(sentences), batch):
        enc = tok(sentences[i : i + batch], return_tensors="pt", padding=True)
        with torch.no_grad():
            ids = model.generate(
                **enc,
                do_sample=False,
                max_new_tokens=kw.get("max_new_tokens", MAX_NEW_TOKENS),
                num_beams=kw.get("num_beams", 1),
                length_penalty=1.0,
                early_stopping=False,
                no_repeat_ngram_size=kw.get("no_repeat_ngram_size", 0),
                min_new_tokens=kw.get("min_new_tokens", 0),
                bad_words_ids=[[model.config.pad_token_id]],
                forced_eos_token_id=0,
            )
        for row in ids.tolist():
            row = row[1:]  # drop the decoder start token
            # batch rows are right-padded with <pad> after </s>
            while row and row[-1] == model.config.pad_token_id:
                row.pop()
            out.append(row)
    return out


def build(src, tgt, src_lines, tgt_lines, src_vocab, tgt_vocab, src_cov, tgt_cov, lang_token, seed, inputs):
    name = f"tiny-{src}-{tgt}"
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    src_model = train_spm(src_lines, src_vocab, src_cov, work / "src")
    tgt_model = train_spm(tgt_lines, tgt_vocab, tgt_cov, work / "tgt")
    shutil.copy(src_model, out / "source.spm")
    shutil.copy(tgt_model, out / "target.spm")
    vocab = build_vocab(pieces(src_model), pieces(tgt_model), lang_token)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")

    model = make_model(len(vocab), seed)
    model.save_pretrained(out, safe_serialization=True)
    for extra in ("generation_config.json",):
        (out / extra).unlink(missing_ok=True)
    tok = MarianTokenizer(
        source_spm=str(out / "source.spm"),
        target_spm=str(out / "target.spm"),
        vocab=str(out / "vocab.json"),
        source_lang=src,
        target_lang=tgt,
    )

    inputs = [(lang_token + " " + s) if lang_token else s for s in inputs]
    golden = {
        "max_new_tokens": MAX_NEW_TOKENS,
        "batch": BATCH,
        "inputs": inputs,
        "input_ids": [tok(s).input_ids for s in inputs],
    }

    probes = inputs[:3]
    golden["encoder"] = []
    golden["first_logits"] = []
    pad = model.config.pad_token_id
    for s in probes:
        enc = tok([s], return_tensors="pt")
        with torch.no_grad():
            h = model.get_encoder()(**enc).last_hidden_state[0]
            logits = model(**enc, decoder_input_ids=torch.tensor([[pad]])).logits[0, -1]
        golden["encoder"].append({"shape": list(h.shape), "values": h.flatten().tolist()})
        golden["first_logits"].append(logits.tolist())

    greedy = generate(model, tok, inputs, 1)
    greedy_b = generate(model, tok, inputs, BATCH)
    beam = generate(model, tok, inputs, 1, num_beams=4)
    beam_b = generate(model, tok, inputs, BATCH, num_beams=4)
    golden["greedy"] = greedy
    golden["greedy_batched"] = greedy_b
    golden["beam4"] = beam
    golden["beam4_batched"] = beam_b
    golden["greedy_strings"] = [tok.decode(ids, skip_special_tokens=True) for ids in greedy]
    golden["beam4_strings"] = [tok.decode(ids, skip_special_tokens=True) for ids in beam]
    few = inputs[:10]
    golden["greedy_no_repeat_3"] = generate(model, tok, few, 1, no_repeat_ngram_size=3)
    golden["beam4_no_repeat_2"] = generate(model, tok, few, 1, num_beams=4, no_repeat_ngram_size=2)
    golden["beam4_min_new_10"] = generate(model, tok, few, 1, num_beams=4, min_new_tokens=10)
    golden["greedy_max_new_5"] = generate(model, tok, few, 1, max_new_tokens=5)

    (out / "golden.json").write_text(json.dumps(golden, ensure_ascii=False), encoding="utf-8")
    ended = sum(1 for g in greedy if len(g) < MAX_NEW_TOKENS)
    print(f"{name}: vocab {len(vocab)}, greedy ended early {ended}/{len(greedy)}, "
          f"batched==unbatched greedy {greedy == greedy_b}, beam {beam == beam_b}")
    shutil.rmtree(work)


def pick(lines, n):
    """A spread of lengths: every k-th line, plus odd cases."""
    step = max(1, len(lines) // n)
    return lines[::step][:n]


def main():
    en = read_lines("newstest2021.en-zh.src.en") + read_lines("newstest2021.zh-en.ref.A.en")
    zh = read_lines("newstest2021.zh-en.src.zh") + read_lines("newstest2021.en-zh.ref.A.zh")
    en_inputs = pick(read_lines("newstest2021.en-zh.src.en"), N_SENTENCES - 3) + [
        "Price: ½ off — “quoted”  text   with  spaces.",
        "Unknown glyphs: 😀 ☃ ⅷ.",
        "x",
    ]
    zh_inputs = pick(read_lines("newstest2021.zh-en.src.zh"), N_SENTENCES - 3) + [
        "全角ＡＢＣ１２３，半角abc。",
        "罕见字：龘靐齉。",
        "好",
    ]
    build("en", "zh", en, zh, 300, 2000, 1.0, 0.98, ">>cmn_Hans<<", 1, en_inputs)
    build("zh", "en", zh, en, 2000, 300, 0.98, 1.0, None, 2, zh_inputs)


if __name__ == "__main__":
    main()
