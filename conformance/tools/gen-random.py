#!/usr/bin/env python3
"""Generates a scenario of random lease commands with mutated arguments.

Usage: tools/gen-random.py SEED FAMILY STEPS > random/NAME.json
The scenario is played against Kea like any other; any difference is a bug.
"""
import json, random, sys
random.seed(int(sys.argv[1]))
fam = int(sys.argv[2])
vals = ["", "x", "192.0.2.55", "192.0.3.9", "2001:db8:1::77", "2001:db8:1:8003::", "1a:1b:1c:1d:1e:1f", "01:02", "0x0102", "01 02 03", "zz:11", "IA_PD", "IA_NA", "IA_TA", "start",
        0, 1, 2, 3, 44, 88, 66, 99, -1, 4294967295, 4294967296, 255, 256, 1000, 2000000000, True, False, None, [], [44], ["a"], {}, {"a": 1}, 1.5]
if fam == 4:
    cmds = ["lease4-add","lease4-get","lease4-del","lease4-update","lease4-get-page","lease4-get-all","lease4-get-by-hw-address","lease4-get-by-client-id","lease4-get-by-hostname","lease4-wipe","lease4-resend-ddns","statistic-get"]
    keys = ["ip-address","hw-address","client-id","subnet-id","valid-lft","expire","fqdn-fwd","fqdn-rev","hostname","state","user-context","force-create","identifier-type","identifier","from","limit","subnets","update-ddns","name","comment","type"]
    base = {"ip-address": "192.0.2.55", "hw-address": "1a:1b:1c:1d:1e:1f"}
else:
    cmds = ["lease6-add","lease6-get","lease6-del","lease6-update","lease6-get-page","lease6-get-all","lease6-get-by-duid","lease6-get-by-hostname","lease6-wipe","lease6-resend-ddns","lease6-bulk-apply","statistic-get"]
    keys = ["ip-address","duid","iaid","type","prefix-len","subnet-id","valid-lft","preferred-lft","expire","fqdn-fwd","fqdn-rev","hostname","state","user-context","hw-address","force-create","identifier-type","identifier","from","limit","subnets","update-ddns","deleted-leases","leases","name"]
    base = {"ip-address": "2001:db8:1::77", "duid": "01:02:03", "iaid": 5}
steps = []
for i in range(int(sys.argv[3])):
    c = random.choice(cmds)
    args = dict(base) if random.random() < 0.7 else {}
    for _ in range(random.randint(0, 4)):
        k = random.choice(keys)
        if random.random() < 0.15:
            args.pop(k, None)
        else:
            v = random.choice(vals)
            if k in ("leases", "deleted-leases") and random.random() < 0.7:
                v = [dict(base, **{random.choice(keys): random.choice(vals)})]
            args[k] = v
    cmd = {"command": c}
    r = 0.5 if c.endswith("resend-ddns") else random.random()
    if r < 0.05:
        cmd["arguments"] = random.choice(vals)
    elif r > 0.1:
        cmd["arguments"] = args
    steps.append({"send": cmd, "ignore": ["arguments.*.*.1"] if c == "statistic-get" else []})
steps.append({"send": {"command": "lease%d-get-all" % fam}})
steps.append({"send": {"command": "statistic-get-all"}, "ignore": ["arguments.*.*.1"]})
print(json.dumps({"name": "random %s fam %d" % (sys.argv[1], fam), "family": fam, "steps": steps}))
