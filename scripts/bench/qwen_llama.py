#!/usr/bin/env python3
"""bitext's qwen engine side by side with llama.cpp (llama-cpp-python) on the same GGUF.

Both translate the first N segments of a ../shared/data/wmt21 direction with the same
ChatML prompt (bitext's, from src/model/qwen/prompt.rs), greedy, one answer capped at
2 x source tokens + 10, 2 threads; each engine runs in its own process so that its peak
RSS is its own. The hypotheses are scored with sacreBLEU (BLEU, chrF).

bitext batches sentences (--batch-size, default 32 as in the CLI) and retries defective answers once with a
stricter prompt; llama.cpp answers one sentence per request, reusing the KV cache of the
shared prompt prefix (llama-cpp-python keeps the longest common prefix), with no retry.

Usage: scripts/bench/qwen_llama.py --gguf FILE --pair en-zh [--n 200] [--threads 2]
           [--bitext target/release/bitext] [--batch-size 32] [--out DIR]
Prints one markdown table row per engine; writes hypotheses and JSON under --out.
Needs a venv with llama-cpp-python (built as docs/benchmarks.md says) and sacrebleu.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WMT = REPO.parent / "shared" / "data" / "wmt21"
NAMES = {"en": "English", "zh": "Simplified Chinese"}


def prompt(src_lang, tgt_lang, sentence):
    """bitext's normal (first-try) prompt, rendered whole."""
    instruction = (
        f"Translate the following {NAMES[src_lang]} text into {NAMES[tgt_lang]}. "
        "Reply with the translation only."
    )
    # Into Chinese the answer opens with a label (ZH_ANSWER_OPENING in prompt.rs).
    opening = "译文：" if tgt_lang == "zh" else ""
    return (
        "<|im_start|>system\nYou are a professional news translator.<|im_end|>\n"
        f"<|im_start|>user\n{instruction}\n\n{sentence}<|im_end|>\n<|im_start|>assistant\n{opening}"
    )


def llama_worker(args, sources):
    """Runs in the child process: translates with llama.cpp, prints a JSON result."""
    from llama_cpp import Llama

    start = time.perf_counter()
    llm = Llama(
        model_path=args.gguf,
        n_ctx=4096,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        n_batch=512,
        verbose=False,
    )
    load = time.perf_counter() - start
    src_lang, tgt_lang = args.pair.split("-")
    hyps, prompt_tokens, output_tokens = [], 0, 0
    start = time.perf_counter()
    for sentence in sources:
        src_ids = llm.tokenize(sentence.encode(), add_bos=False, special=False)
        ids = llm.tokenize(prompt(src_lang, tgt_lang, sentence).encode(), add_bos=False, special=True)
        out = llm.create_completion(
            ids,
            max_tokens=2 * len(src_ids) + 10,
            temperature=0.0,
            top_k=1,
            repeat_penalty=1.0,
            stop=["<|im_end|>", "<|endoftext|>"],
        )
        hyps.append(" ".join(out["choices"][0]["text"].split()))
        prompt_tokens += out["usage"]["prompt_tokens"]
        output_tokens += out["usage"]["completion_tokens"]
    secs = time.perf_counter() - start
    json.dump(
        {"hyps": hyps, "load": load, "translate": secs, "in": prompt_tokens, "out": output_tokens},
        sys.stdout,
    )


def run_child(cmd, stdin=None):
    """Runs `cmd` under /usr/bin/time: (stdout, stderr, wall s, peak RSS MiB, CPU s)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M CPU %U %S", *cmd], input=stdin, capture_output=True)
    wall = time.perf_counter() - start
    err = proc.stderr.decode()
    if proc.returncode:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{err[-2000:]}")
    rss, user, sys_ = re.findall(r"MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)", err)[-1]
    return proc.stdout.decode(), err, wall, int(rss) / 1024, float(user) + float(sys_)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--pair", required=True, choices=["en-zh", "zh-en"])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--bitext", default=str(REPO / "target" / "release" / "bitext"))
    ap.add_argument("--engines", default="bitext,llama")
    ap.add_argument("--out", default="/tmp/qwen-llama")
    ap.add_argument("--llama-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    src_lang, tgt_lang = args.pair.split("-")
    lines = (WMT / f"newstest2021.{args.pair}.src.{src_lang}").read_text().splitlines()
    sources = lines[: args.n]
    if args.llama_worker:
        return llama_worker(args, sources)

    import sacrebleu

    refs = (WMT / f"newstest2021.{args.pair}.ref.A.{tgt_lang}").read_text().splitlines()[: args.n]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = Path(args.gguf).stem
    rows = {}
    for engine in args.engines.split(","):
        load_avg = os.getloadavg()[0]
        if engine == "bitext":
            cmd = [args.bitext, "translate", "--engine", "qwen", "--model-file", args.gguf,
                   "--from", src_lang, "--to", tgt_lang, "--lines", "--threads", str(args.threads),
                   "--batch-size", str(args.batch_size)]
            out, err, wall, rss, cpu = run_child(cmd, ("\n".join(sources) + "\n").encode())
            hyps = out.splitlines()
            m = re.search(r"(\d+) sentences, (\d+) tokens in, (\d+) tokens out, (\d+) retried, (\d+) flagged", err)
            stats = dict(zip(["sentences", "in", "out", "retried", "flagged"], map(int, m.groups())))
        else:
            cmd = [sys.executable, __file__, "--llama-worker", "--gguf", args.gguf, "--pair", args.pair,
                   "--n", str(args.n), "--threads", str(args.threads)]
            out, err, wall, rss, cpu = run_child(cmd)
            result = json.loads(out)
            hyps = result["hyps"]
            stats = {"in": result["in"], "out": result["out"], "retried": "-", "flagged": "-"}
        assert len(hyps) == len(sources), f"{engine}: {len(hyps)} lines for {len(sources)} sources"
        (out_dir / f"{model}.{args.pair}.{args.n}.{engine}.{tgt_lang}").write_text("\n".join(hyps) + "\n")
        tok = "zh" if tgt_lang == "zh" else "13a"
        bleu = sacrebleu.corpus_bleu(hyps, [refs], tokenize=tok).score
        chrf = sacrebleu.corpus_chrf(hyps, [refs]).score
        untranslated = sum(1 for h, s in zip(hyps, sources) if wrong_script(h, tgt_lang) or h.strip() == s.strip())
        rows[engine] = dict(wall=wall, rss=rss, cpu=cpu, bleu=bleu, chrf=chrf, load_avg=load_avg,
                            untranslated=untranslated, **stats)
    json.dump(rows, open(out_dir / f"{model}.{args.pair}.{args.n}.json", "w"), indent=1)
    for engine, r in rows.items():
        ratio = ""
        if engine == "bitext" and "llama" in rows:
            ratio = f"{rows['llama']['wall'] / r['wall']:.2f}x"
        print(f"| {model} | {args.pair} | {engine} | {args.n / r['wall']:.3f} | {r['in'] / r['wall']:.1f} "
              f"| {r['out'] / r['wall']:.1f} | {r['rss']:.0f} | {r['bleu']:.2f} | {r['chrf']:.2f} "
              f"| {r['untranslated']} | {r['retried']} / {r['flagged']} | {r['cpu'] / r['out'] * 1000:.0f} "
              f"| {r['load_avg']:.1f} | {ratio} |")


def wrong_script(text, lang):
    """bitext's script check (`defect` in src/model/qwen/prompt.rs): into Chinese, fewer
    Han characters than two per Latin word; into English, fewer Latin letters than three
    per Han character."""
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    if han + latin == 0:
        return True
    if lang == "zh":
        return han / (han + 2 * len(re.findall("[A-Za-z]+", text))) < 0.5
    return latin / (latin + 3 * han) < 0.5


if __name__ == "__main__":
    main()
