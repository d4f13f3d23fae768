#!/usr/bin/env python3
"""Writes a JSON-lines benign corpus for `haetae eval --benign`: docstrings of
the Python standard library on this machine, each posted as a board article
(whitespace collapsed, form-encoded), the way developer posts reach a board.
Technical text is where a WAF's false positives hide: code words, quotes,
pipes, backticks, shell and SQL fragments in prose.

    python3 bench/benign_docstrings.py > /tmp/docstrings.jsonl
    target/release/haetae eval --benign /tmp/docstrings.jsonl --misses 50
"""
import ast
import glob
import json
import random
import sys
import urllib.parse

random.seed(7)
files = sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True))
random.shuffle(files)
docs = []
for f in files[:1500]:
    try:
        tree = ast.parse(open(f, encoding="utf-8").read())
    except Exception:
        continue
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            d = ast.get_docstring(node)
            if d and 40 < len(d) < 2500:
                docs.append(d)
random.shuffle(docs)
for d in docs[: int(sys.argv[1]) if len(sys.argv) > 1 else 4000]:
    body = "bo_table=free&wr_subject=t&wr_content=" + urllib.parse.quote_plus(" ".join(d.split()))
    print(json.dumps({"category": "docstring", "method": "POST", "path": "/bbs/write_update.php",
                      "headers": {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}, "body": body}))
