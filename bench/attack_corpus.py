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

With `--encodings`, each payload is instead sent as a form value in the
encodings back ends undo and a gate on raw bytes would not see: full-width
forms (NFKC and "best fit" fold them to ASCII), typographic quotes, `%uXXXX`,
double percent-encoding, HTML character references, JavaScript `\\u`
escapes inside JSON (payloads that are themselves percent-encoded are left
out: no back end decodes `％２７` or `&#x25;27` twice).

    python3 bench/attack_corpus.py --encodings > /tmp/attacks-enc.jsonl
"""
import json
import os
import re
import sys
import urllib.parse
from xml.sax.saxutils import escape

here = os.path.dirname(os.path.abspath(__file__))
payloads = [l.rstrip("\n").replace("\\n", "\n") for l in open(os.path.join(here, "attack_payloads.txt"), encoding="utf-8")]
q = lambda p: urllib.parse.quote(p, safe="")
form = {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}


def row(cat, method, path, headers, body=""):
    print(json.dumps({"category": cat, "method": method, "path": path, "headers": headers, "body": body}, ensure_ascii=False))


def fullwidth(p):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in p)


def typographic(p):
    return p.replace("'", "\u2019").replace('"', "\u201d")


def percent_u(p):
    return "".join("%%u%04X" % ord(c) if not c.isalnum() else c for c in p)


def entities(p):
    return "".join("&#x%x;" % ord(c) if not c.isalnum() and c != " " else c for c in p)


if "--encodings" in sys.argv:
    for p in payloads:
        # A payload already percent-encoded (`%27`) would come out as
        # `％２７` or `&#x25;27`, which no back end decodes twice.
        if not p or re.search(r"%[0-9a-fA-F]{2}|%u[0-9a-fA-F]{4}", p):
            continue
        row("fullwidth", "POST", "/post", form, "v=" + q(fullwidth(p)))
        if "'" in p or '"' in p:
            row("typographic-quotes", "POST", "/post", form, "v=" + q(typographic(p)))
        row("percent-u", "POST", "/post", form, "v=" + percent_u(p))
        row("double-url", "POST", "/post", form, "v=" + q(q(p)))
        row("html-entities", "POST", "/post", form, "v=" + q(entities(p)))
        row("json-escapes", "POST", "/post", {"Content-Type": "application/json", "Host": "localhost"}, json.dumps({"v": p}, ensure_ascii=True).replace("<", "\\u003c").replace("'", "\\u0027"))
    sys.exit(0)

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
