"""Expected Qwen2 token ids for tests/qwen_tokenizer.rs, from HF transformers' own GGUF
tokenizer conversion (independent of bitext's).

Usage: PYTHONPATH=/path/to/gguf-py /work/venv/bin/python scripts/qwen_tokenizer_reference.py GGUF \
           > tests/fixtures/qwen/tokenizer_ids.json
(transformers needs the `gguf` package to read GGUF files.)
"""
import json
import os
import sys

from transformers import AutoTokenizer

TEXTS = [
    "Hello world",
    "The unemployment rate fell to 25.1% in March, costing US$6.61 billion.",
    "  leading spaces,\ttabs\nand\r\nnewlines\n\n\nend  ",
    "国家统计局周二公布，3月份全国城镇调查失业率为5.3%。",
    "Mixed 中文 and English: 「引号」 (parentheses) — dashes… “quotes” don't",
    "<|im_start|>system\nYou are a translator.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "café naïve Ａｂｃ １２３ emoji 🙂 ①",
    "1234567890 3.14159 -42 1,000,000",
]

path = sys.argv[1]
tok = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(path)), gguf_file=os.path.basename(path))
cases = [{"text": t, "ids": tok.encode(t, add_special_tokens=False)} for t in TEXTS]
import transformers

head = {"source": f"transformers {transformers.__version__} AutoTokenizer(gguf_file=...)", "model": os.path.basename(path)}
print(json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [')
print(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
print("]}")
