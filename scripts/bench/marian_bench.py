#!/usr/bin/env python3
"""Marian speed benchmark (run by hand through scripts/bench/marian.sh, never in CI):
bitext against CTranslate2 float32, CTranslate2 int8 and HF transformers on one
full-size random MarianMTModel shaped like opus-mt-en-zh.

    marian_bench.py prepare --work DIR          build model, CT2 conversions, inputs
    marian_bench.py all --work DIR --bitext BIN run every engine and setting, print the table
    marian_bench.py run --work DIR --engine E … one engine, one setting (own process)
    marian_bench.py agree --work DIR            CT2 int8's greedy tokens against CT2 float32's

The model (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 65001, swish, pad 65000,
eos 0) gets a SentencePiece pair of 8000 pieces trained on ../shared/data/wmt21, so that
source sentences have realistic token lengths, and a vocab.json padded to 65001 entries.
Every engine reads the same source token ids (HF's MarianTokenizer; bitext rebuilds
the same tokenizer in Rust, checked by comparing its greedy output with HF's) and is
forced to produce exactly N tokens per sentence (min = max new tokens), in the same
length-sorted batches. Each engine runs in its own process, so its peak RSS is its own.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WMT = Path(os.environ.get("BITEXT_SHARED", ROOT.parent / "shared")) / "data" / "wmt21"
LANG_TOKEN = ">>cmn_Hans<<"
VOCAB = 65001
PAD = 65000
ENGINES = ("bitext", "ct2-fp32", "ct2-int8", "ct2-int8-x2", "hf")
CT2_TYPES = {"ct2-fp32": "float32", "ct2-int8": "int8"}
# CTranslate2 decoding batches side by side as bitext does: inter_threads = threads, one
# thread each, all batches handed over in one call (CT2 sorts and splits them itself).
CT2_SIDE_BY_SIDE = {"ct2-int8-x2": "ct2-int8"}


def read_lines(name):
    return [l.strip() for l in (WMT / name).read_text(encoding="utf-8").splitlines() if l.strip()]


# ---------------------------------------------------------------- preparation


def build_model(model_dir):
    """Random opus-mt-en-zh-shaped model with an 8000-piece SentencePiece pair."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    sys.path.insert(0, str(ROOT / "scripts"))
    from marian_golden import pieces, train_spm

    model_dir.mkdir(parents=True, exist_ok=True)
    en = read_lines("newstest2021.en-zh.src.en") + read_lines("newstest2021.zh-en.ref.A.en")
    zh = read_lines("newstest2021.zh-en.src.zh") + read_lines("newstest2021.en-zh.ref.A.zh")
    src = train_spm(en, 8000, 1.0, model_dir / "src")
    tgt = train_spm(zh, 8000, 0.9995, model_dir / "tgt")
    src.rename(model_dir / "source.spm")
    tgt.rename(model_dir / "target.spm")
    for extra in ("src.vocab", "tgt.vocab"):
        (model_dir / extra).unlink(missing_ok=True)
    vocab = {"</s>": 0, "<unk>": 1, LANG_TOKEN: 2}
    for p in pieces(model_dir / "source.spm") + pieces(model_dir / "target.spm"):
        if p not in vocab and p not in ("<s>", "</s>", "<unk>"):
            vocab[p] = len(vocab)
    while len(vocab) < PAD:
        vocab[f"<filler{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = PAD
    (model_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=512, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
        max_position_embeddings=512, activation_function="swish", pad_token_id=PAD, eos_token_id=0,
        decoder_start_token_id=PAD, forced_eos_token_id=0, scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    MarianMTModel(config).eval().save_pretrained(model_dir)
    tokenizer(model_dir).save_pretrained(model_dir)


def tokenizer(model_dir):
    from transformers import MarianTokenizer

    return MarianTokenizer(source_spm=str(model_dir / "source.spm"), target_spm=str(model_dir / "target.spm"),
                           vocab=str(model_dir / "vocab.json"))


def prepare(work, sentences):
    model_dir = work / "model"
    if not (model_dir / "model.safetensors").exists():
        build_model(model_dir)
    for engine, quantization in CT2_TYPES.items():
        out = work / engine
        if not (out / "model.bin").exists():
            subprocess.run(["ct2-transformers-converter", "--model", str(model_dir), "--output_dir", str(out),
                            "--quantization", quantization, "--force"], check=True)
    tok = tokenizer(model_dir)
    lines = read_lines("newstest2021.en-zh.src.en")[:sentences]
    ids = [tok(f"{LANG_TOKEN} {line}").input_ids for line in lines]
    inputs = {"lines": lines, "ids": ids, "tokens": [tok.convert_ids_to_tokens(row) for row in ids]}
    (work / "inputs.json").write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------- one engine, one setting


def batches(n_items, lengths, size):
    """bitext's plan (src/translate/batch.rs): longest first (stable), chunks of `size`."""
    order = sorted(range(n_items), key=lambda i: -lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]


def run_hf(work, inputs, a):
    import torch
    from transformers import MarianMTModel

    torch.set_num_threads(a.threads)
    model = MarianMTModel.from_pretrained(work / "model").eval()
    tok = tokenizer(work / "model")
    ids = inputs["ids"]
    out = [None] * len(ids)
    start = time.perf_counter()
    for group in batches(len(ids), [len(r) for r in ids], a.batch):
        longest = max(len(ids[i]) for i in group)
        input_ids = torch.tensor([ids[i] + [PAD] * (longest - len(ids[i])) for i in group])
        mask = torch.tensor([[1] * len(ids[i]) + [0] * (longest - len(ids[i])) for i in group])
        with torch.inference_mode():
            gen = model.generate(input_ids=input_ids, attention_mask=mask, num_beams=a.beam,
                                 min_new_tokens=a.new_tokens, max_new_tokens=a.new_tokens, do_sample=False,
                                 length_penalty=1.0, early_stopping=False, bad_words_ids=[[PAD]],
                                 forced_eos_token_id=0, no_repeat_ngram_size=0)
        for i, row in zip(group, gen.tolist()):
            out[i] = row[1:]
    seconds = time.perf_counter() - start
    return seconds, [len(r) for r in out], [tok.decode(r, skip_special_tokens=True) for r in out]


def run_ct2(work, inputs, a):
    import ctranslate2

    model = CT2_SIDE_BY_SIDE.get(a.engine, a.engine)
    side_by_side = a.engine in CT2_SIDE_BY_SIDE
    translator = ctranslate2.Translator(str(work / model), device="cpu", compute_type=CT2_TYPES[model],
                                        intra_threads=1 if side_by_side else a.threads,
                                        inter_threads=a.threads if side_by_side else 1)
    tokens = inputs["tokens"]
    out = [None] * len(tokens)
    options = dict(beam_size=a.beam, min_decoding_length=a.new_tokens, max_decoding_length=a.new_tokens,
                   return_end_token=True)
    start = time.perf_counter()
    if side_by_side:
        results = translator.translate_batch(tokens, max_batch_size=a.batch, batch_type="examples", **options)
        out = [r.hypotheses[0] for r in results]
    else:
        for group in batches(len(tokens), [len(r) for r in tokens], a.batch):
            results = translator.translate_batch([tokens[i] for i in group], **options)
            for i, r in zip(group, results):
                out[i] = r.hypotheses[0]
    seconds = time.perf_counter() - start
    texts = ["".join(t for t in row if t != "</s>").replace("\u2581", " ").strip() for row in out]
    return seconds, [len(r) for r in out], texts


def bitext_command(work, a, input_path):
    return [a.bitext, "translate", "--from", "en", "--to", "zh", "--model-dir", str(work / "model"), "--lines",
            "--threads", str(a.threads), "--beam", str(a.beam), "--batch-size", str(a.batch),
            "--max-batch-tokens", "1000000", "--min-new-tokens", str(a.new_tokens),
            "--max-new-tokens", str(a.new_tokens), "--no-repeat-ngram", "0", "--length-cap", "1000,1000",
            "--dtype", a.dtype, "--no-news-rules", str(input_path)]


def timed_child(cmd):
    """Wall seconds, stdout and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as child:
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"{cmd[0]} failed with status {child.returncode}")
    return seconds, stdout, usage.ru_maxrss / 1024


def run_bitext(work, inputs, a):
    """Translation time = wall time of the run minus that of a run with no input (loading)."""
    text = work / f"input-{len(inputs['lines'])}.txt"
    text.write_text("\n".join(inputs["lines"]) + "\n", encoding="utf-8")
    empty = work / "empty.txt"
    empty.write_text("", encoding="utf-8")
    load, _, _ = timed_child(bitext_command(work, a, empty))
    total, stdout, rss = timed_child(bitext_command(work, a, text))
    return total - load, None, stdout.splitlines(), rss


def run(work, a):
    inputs = json.loads((work / "inputs.json").read_text(encoding="utf-8"))
    inputs = {k: v[: a.sentences] for k, v in inputs.items()}
    if a.engine.startswith("bitext"):
        seconds, lengths, texts, rss = run_bitext(work, inputs, a)
    else:
        seconds, lengths, texts = (run_hf if a.engine == "hf" else run_ct2)(work, inputs, a)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "lengths": lengths, "texts": texts, "rss_mib": rss}, ensure_ascii=False))


def agree(work, a):
    """CTranslate2 int8 against its own float32: greedy, up to N new tokens, batch 32; the
    same measure as tests/marian_int8_agreement.rs gives for bitext. With --fixture, on a
    golden test fixture instead (its golden.json inputs and length limit), the measure
    tests/marian_golden.rs prints for bitext."""
    import ctranslate2

    if a.fixture:
        golden = json.loads((a.fixture / "golden.json").read_text(encoding="utf-8"))
        vocab = {i: t for t, i in json.loads((a.fixture / "vocab.json").read_text(encoding="utf-8")).items()}
        tokens = [[vocab[i] for i in row] for row in golden["input_ids"]]
        new_tokens = golden["max_new_tokens"]
        models = {}
        for engine, quantization in CT2_TYPES.items():
            models[engine] = work / f"{a.fixture.name}-{engine}"
            if not (models[engine] / "model.bin").exists():
                subprocess.run(["ct2-transformers-converter", "--model", str(a.fixture), "--output_dir",
                                str(models[engine]), "--quantization", quantization, "--force"], check=True)
    else:
        tokens = json.loads((work / "inputs.json").read_text(encoding="utf-8"))["tokens"][: a.sentences]
        new_tokens = a.new_tokens[0]
        models = {engine: work / engine for engine in CT2_TYPES}
    out = {}
    for engine in CT2_TYPES:
        translator = ctranslate2.Translator(str(models[engine]), device="cpu", compute_type=CT2_TYPES[engine],
                                            intra_threads=a.threads, inter_threads=1)
        results = translator.translate_batch(tokens, beam_size=1, max_decoding_length=new_tokens,
                                             max_batch_size=a.batch, return_end_token=True)
        out[engine] = [r.hypotheses[0] for r in results]
    want, got = out["ct2-fp32"], out["ct2-int8"]
    total = sum(len(w) for w in want)
    agreeing = 0
    for g, w in zip(got, want):
        for x, y in zip(g, w):
            if x != y:
                break
            agreeing += 1
    identical = sum(g == w for g, w in zip(got, want))
    print(f"CT2 int8 vs CT2 float32 ({a.fixture.name if a.fixture else 'bench model'}, {len(tokens)} sentences, "
          f"greedy, up to {new_tokens} new tokens): "
          f"tokens agreeing before the first difference {agreeing}/{total} ({100 * agreeing / total:.1f}%), "
          f"sentences identical {identical}/{len(tokens)}")


# ---------------------------------------------------------------- all settings, one table


def versions():
    import ctranslate2
    import torch
    import transformers

    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"ctranslate2 {ctranslate2.__version__}, torch {torch.__version__}, "
            f"transformers {transformers.__version__}, {rustc}")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, load {os.getloadavg()[0]:.1f}"


def run_all(work, a):
    beam_sentences = a.beam_sentences or a.sentences
    settings = [(n, beam, batch, sentences) for n in a.new_tokens
                for beam, batch, sentences in ((1, a.greedy_batch, a.sentences),
                                               (a.beams, a.beam_batch, beam_sentences),
                                               (1, 1, a.batch1_sentences))]
    engines = a.engines.split(",")
    rows = []
    for n, beam, batch, sentences in settings:
        cells = {}
        for engine in engines:
            cmd = [sys.executable, __file__, "run", "--work", str(work), "--engine", engine.split(":")[0],
                   "--new-tokens", str(n), "--beam", str(beam), "--batch", str(batch), "--sentences",
                   str(sentences), "--threads", str(a.threads), "--bitext", a.bitext,
                   "--dtype", engine.split(":")[1] if ":" in engine else "f32"]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            cells[engine] = json.loads(done.stdout.strip().splitlines()[-1])
            lengths = cells[engine]["lengths"]
            if lengths is not None and set(lengths) != {n}:
                sys.exit(f"{engine}: generated {sorted(set(lengths))} tokens, not exactly {n}")
            tps = sentences * n / cells[engine]["seconds"]
            cells[engine]["tps"] = tps
            print(f"N={n} beam={beam} batch={batch} {engine}: {tps:.0f} tok/s, "
                  f"{cells[engine]['rss_mib']:.0f} MiB", file=sys.stderr, flush=True)
        rows.append(((n, beam, batch, sentences), cells))
    (work / "results.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    print(table(rows, engines, a))


def table(rows, engines, a):
    names = {"bitext": "bitext", "bitext:q8_0": "bitext q8_0", "bitext:int8": "bitext int8", "ct2-fp32": "CT2 fp32",
             "ct2-int8": "CT2 int8", "ct2-int8-x2": "CT2 int8 2×1", "hf": "HF"}
    head = ["N", "search", "batch", "sent."] + [f"{names.get(e, e)} tok/s" for e in engines]
    ratios = [(b, p) for b in engines if b.startswith("bitext") for p in engines if not p.startswith("bitext")]
    head += [f"{names.get(b, b)} / {names.get(p, p)}" for b, p in ratios]
    head += [f"{names.get(e, e)} RSS MiB" for e in engines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (n, beam, batch, sentences), cells in rows:
        row = [str(n), "greedy" if beam == 1 else f"beam {beam}", str(batch), str(sentences)]
        row += [f"{cells[e]['tps']:.0f}" for e in engines]
        row += [f"{cells[b]['tps'] / cells[p]['tps']:.2f}" for b, p in ratios]
        row += [f"{cells[e]['rss_mib']:.0f}" for e in engines]
        lines.append("| " + " | ".join(row) + " |")
    agree = []
    for (n, beam, batch, sentences), cells in rows:
        if "hf" in cells:
            for e in engines:
                if e != "hf":
                    same = sum(x == y for x, y in zip(cells[e]["texts"], cells["hf"]["texts"]))
                    agree.append(f"{names.get(e, e)} N={n} {'greedy' if beam == 1 else 'beam'} b{batch}: "
                                 f"{same}/{sentences}")
    ids = json.loads((Path(a.work) / "inputs.json").read_text(encoding="utf-8"))["ids"][: a.sentences]
    lengths = [len(r) for r in ids]
    return "\n".join(lines) + "\n\n" + "\n\n".join([
        f"Target tokens/s = sentences × N / translation seconds (model loading excluded), "
        f"{a.threads} threads each, every engine forced to exactly N new tokens; source tokens per sentence "
        f"(first {len(ids)}): "
        f"mean {sum(lengths) / len(lengths):.1f}, max {max(lengths)}. Peak RSS = getrusage maxrss of the "
        f"engine's own process (loading included).",
        *([f"Outputs identical to HF's (decoded text): {'; '.join(agree)}."] if agree else []),
        f"Machine: {machine()}. Versions: {versions()}.",
        f"Command: {os.environ.get('BENCH_COMMAND', ' '.join(sys.argv))}",
    ])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("prepare", "run", "all", "agree"))
    p.add_argument("--work", required=True, type=Path, help="cache folder for model, conversions, inputs")
    p.add_argument("--bitext", default=str(ROOT / "target" / "release" / "bitext"), help="bitext binary")
    p.add_argument("--engine", choices=ENGINES, help="run: the engine")
    p.add_argument("--engines", default="bitext,bitext:int8,ct2-fp32,ct2-int8,hf",
                   help="all: engines (bitext:int8 for bitext --dtype int8, bitext:q8_0 likewise)")
    p.add_argument("--dtype", default="f32", help="run: bitext --dtype")
    p.add_argument("--new-tokens", type=lambda s: [int(x) for x in s.split(",")], default=[32, 64])
    p.add_argument("--beam", type=int, default=1, help="run: beam size")
    p.add_argument("--batch", type=int, default=32, help="run: sentences per batch")
    p.add_argument("--beams", type=int, default=4, help="all: beam size of the beam setting")
    p.add_argument("--greedy-batch", type=int, default=32)
    p.add_argument("--beam-batch", type=int, default=16)
    p.add_argument("--sentences", type=int, default=256)
    p.add_argument("--beam-sentences", type=int, default=0, help="all: sentences of the beam setting (0: --sentences)")
    p.add_argument("--batch1-sentences", type=int, default=64, help="all: sentences of the batch-1 setting")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fixture", type=Path, help="agree: a golden test fixture (tests/fixtures/marian/NAME)")
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    if a.command == "prepare":
        prepare(a.work, max(a.sentences, a.batch1_sentences))
    elif a.command == "agree":
        agree(a.work, a)
    elif a.command == "run":
        a.new_tokens = a.new_tokens[0]
        run(a.work, a)
    else:
        run_all(a.work, a)


if __name__ == "__main__":
    main()
