#!/usr/bin/env python3
"""Generates a scenario of raw commands: valid ones with random bytes
inserted, deleted or replaced (parser and framing error texts).

Usage: tools/gen-random-wire.py SEED STEPS > random/NAME.json
"""
import json, random, sys
random.seed(int(sys.argv[1]))
bases = ['{"command":"lease4-get","arguments":{"ip-address":"192.0.2.1"}}',
 '{ "command": "lease4-add", "arguments": { "ip-address": "192.0.2.9", "hw-address": "1a:1b:1c:1d:1e:1f", "user-context": {"a": [1, 2.5, true, null]} } }',
 '{"command":"list-commands"}', '{"command":"lease4-get-page","arguments":{"from":"start","limit":10}}',
 '{"command":"statistic-get","arguments":{"name":"declined-addresses"}}']
alphabet = '{}[]":,\\ \t\n/#*0123456789-+.eEtrufalsnxu\u00e9'
steps = []
for i in range(int(sys.argv[2])):
    s = list(random.choice(bases))
    for _ in range(random.randint(1, 3)):
        op = random.random(); p = random.randrange(len(s) + 1)
        if op < 0.4 and s: del s[min(p, len(s)-1)]
        elif op < 0.8: s.insert(p, random.choice(alphabet))
        elif s: s[min(p, len(s)-1)] = random.choice(alphabet)
    raw = ''.join(s)
    # keep commands that end (an unterminated one waits 10 s in both)
    if raw.count('{') + raw.count('[') > raw.count('}') + raw.count(']'):
        raw += '}' * 3
    steps.append({"raw": raw, "ignore": ["arguments.*.*.1"]})
print(json.dumps({"name": "random wire %s" % sys.argv[1], "family": 4, "steps": steps}, ensure_ascii=False))
