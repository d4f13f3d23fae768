#!/usr/bin/env python3
"""Writes a JSON-lines benign corpus for `haetae eval --benign`: docstrings of
the Python standard library on this machine, each posted as a board article
(whitespace collapsed, form-encoded), the way developer posts reach a board.
Technical text is where a WAF's false positives hide: code words, quotes,
pipes, backticks, shell and SQL fragments in prose.

    python3 bench/benign_docstrings.py > /tmp/docstrings.jsonl
    target/release/haetae eval --benign /tmp/docstrings.jsonl --misses 50

With `--search`, each docstring gives instead one search query: a line of
it cut at a random length, as a search box sends it (`GET /search?q=…`).
Short fragments are where whole-value rules (a value that is nothing but a
command line or a SQL phrase) would misfire.

    python3 bench/benign_docstrings.py --search 8000 > /tmp/searches.jsonl

`--seed N` draws another sample (a set the rules were not tuned on).
"""
import ast
import glob
import json
import random
import sys
import urllib.parse

seed = 7
if "--seed" in sys.argv:
    i = sys.argv.index("--seed")
    seed = int(sys.argv[i + 1])
    del sys.argv[i : i + 2]
random.seed(seed)
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
args = [a for a in sys.argv[1:] if a != "--search"]
count = int(args[0]) if args else 4000
if "--search" in sys.argv:
    for d in (docs * 4)[:count]:
        lines = [l.strip() for l in d.splitlines() if len(l.strip()) > 3]
        line = random.choice(lines)
        q = line[: random.randint(6, 80)]
        print(json.dumps({"category": "search", "method": "GET",
                          "path": "/search?q=" + urllib.parse.quote_plus(q) + "&sort=recent",
                          "headers": {"Host": "localhost"}, "body": ""}))
    sys.exit(0)
for d in docs[:count]:
    body = "bo_table=free&wr_subject=t&wr_content=" + urllib.parse.quote_plus(" ".join(d.split()))
    print(json.dumps({"category": "docstring", "method": "POST", "path": "/bbs/write_update.php",
                      "headers": {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}, "body": body}))
