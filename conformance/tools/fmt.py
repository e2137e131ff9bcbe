#!/usr/bin/env python3
"""Rewrites scenario files in the house style: one step per line.

Usage: tools/fmt.py FILE.json ...   (rewrites the files in place)
Key order and number literals are kept as json.load reads them.
"""
import json
import sys


def fmt(doc):
    out = ["{"]
    keys = list(doc.keys())
    for i, k in enumerate(keys):
        last = i == len(keys) - 1
        v = doc[k]
        if k == "steps":
            out.append('  "steps": [')
            for j, step in enumerate(v):
                sep = "," if j < len(v) - 1 else ""
                out.append("    " + json.dumps(step, ensure_ascii=False) + sep)
            out.append("  ]" + ("" if last else ","))
        elif k == "config":
            body = json.dumps(v, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            out.append('  "config": ' + body + ("" if last else ","))
        else:
            out.append("  " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False) + ("" if last else ","))
    out.append("}")
    return "\n".join(out) + "\n"


for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    text = fmt(doc)
    if json.loads(text) != doc:
        sys.exit(f"{path}: reformatting would change the content")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
