#!/usr/bin/env python3
"""Reads a sandbox journal (JSON array on stdin) and reports polls per Workiva operation.

usage: journal.py MIN_POLLS RETRY_AFTER_SECONDS < journal.json
MIN_POLLS is the fewest polls an operation can take (the scenario's non-terminal polls + 1);
a poll sent less than RETRY_AFTER_SECONDS (minus 50 ms of clock slack) after the previous
request on the same operation (kick-off or poll) counts as early.
Prints one JSON object.
"""
import json
import sys
from collections import defaultdict
from datetime import datetime

min_polls = int(sys.argv[1])
retry_after = float(sys.argv[2])
entries = json.load(sys.stdin)


def ts(s):
    return datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()


polls = defaultdict(list)
kickoffs = []
status429 = 0
for e in entries:
    if e.get('listener') != 'api':
        continue
    if e['method'] == 'GET' and e['path'].startswith('/operations/'):
        polls[e['path'].rsplit('/', 1)[1]].append(e)
        status429 += e['status'] == 429
    elif e['method'] == 'POST' and e['path'].endswith('/export') and e['status'] == 202:
        kickoffs.append(e)
counts = sorted(len(v) for v in polls.values())
early = 0
for v in polls.values():
    v.sort(key=lambda e: e['id'])
    for a, b in zip(v, v[1:]):
        if ts(b['start']) - ts(a['end']) < retry_after - 0.05:
            early += 1
over = sum(1 for c in counts if c > min_polls + 1)
over_min = sum(1 for c in counts if c > min_polls)
print(json.dumps({
    'kickoffs': len(kickoffs), 'operations': len(counts),
    'min_polls': min_polls, 'max_polls': counts[-1] if counts else 0,
    'mean_polls': (sum(counts) / len(counts)) if counts else 0,
    'ops_over_min': over_min, 'ops_over_min_plus_1': over, 'polls_429': status429, 'early_polls': early,
}))
