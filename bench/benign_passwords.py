#!/usr/bin/env python3
"""Writes a JSON-lines benign corpus for `haetae eval --benign`: logins with
generated passwords (10-16 characters of letters, digits and punctuation,
the shape password managers and the dev corpus use). Quotes, `#`, `;` and
`$` land in them at random, which is where SQL and shell detectors misread
a secret as a payload.

    python3 bench/benign_passwords.py 100000 > /tmp/passwords.jsonl
    target/release/haetae eval --benign /tmp/passwords.jsonl --misses 50
"""
import json
import random
import string
import sys
import urllib.parse

random.seed(3)
letters = [c for c in string.ascii_letters if c not in "IOl"]
charset = letters + list("23456789") + list("!\"#$%&'()*+,-./:;=?@[]^_{}~")
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 100000):
    pw = "".join(random.choice(charset) for _ in range(random.randint(10, 16)))
    body = "mb_id=user%d&mb_password=%s" % (i, urllib.parse.quote_plus(pw))
    print(json.dumps({"category": "password", "method": "POST", "path": "/bbs/login_check.php",
                      "headers": {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}, "body": body}))
