#!/usr/bin/env python3
"""Writes a JSON-lines corpus of attacks for `haetae eval --benign`, which
then reports, per placement, the share it *stopped* (its "false positive"
column is the detection rate here). The payloads in
`bench/attack_payloads.txt` — one per line, written for this project in the
style of sqlmap, PortSwigger's XSS cheat sheet, commix and the usual LFI,
SSRF, SSTI, JNDI, XXE, NoSQL, LDAP, CRLF, deserialization and PHP lists — are
each placed as a form value, a JSON leaf, a query value, a cookie, an XML
text node, the User-Agent and a path segment, so a detector that reads only
some places shows up as a gap in the others. A literal `\\n` in a payload
stands for a newline.

    python3 bench/attack_corpus.py > /tmp/attacks.jsonl
    target/release/haetae eval --benign /tmp/attacks.jsonl --misses 40
"""
import json
import os
import urllib.parse
from xml.sax.saxutils import escape

here = os.path.dirname(os.path.abspath(__file__))
payloads = [l.rstrip("\n").replace("\\n", "\n") for l in open(os.path.join(here, "attack_payloads.txt"), encoding="utf-8")]
q = lambda p: urllib.parse.quote(p, safe="")
form = {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}


def row(cat, method, path, headers, body=""):
    print(json.dumps({"category": cat, "method": method, "path": path, "headers": headers, "body": body}, ensure_ascii=False))


for p in payloads:
    if not p:
        continue
    row("form", "POST", "/post", form, "v=" + q(p))
    row("json", "POST", "/post", {"Content-Type": "application/json", "Host": "localhost"}, json.dumps({"v": p}))
    row("query", "GET", "/get?v=" + q(p), {"Host": "localhost"})
    row("cookie", "GET", "/get", {"Host": "localhost", "Cookie": "v=" + q(p)})
    row("xml", "POST", "/post", {"Content-Type": "application/xml", "Host": "localhost"}, "<a><b>" + escape(p) + "</b></a>")
    if "\n" not in p:
        row("user-agent", "GET", "/get", {"Host": "localhost", "User-Agent": p})
    row("path", "GET", "/item/" + q(p).replace("%2F", "/"), {"Host": "localhost"})
