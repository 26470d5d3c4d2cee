#!/usr/bin/env python3
"""Case 3: poll rate from a sandbox journal (JSON array on stdin): polls of operations whose id
starts with PREFIX, from FROM_EPOCH on. Reports the count, the mean rate over the span, and the
most polls started in any 1-second and any 5-second window (the thundering-herd check against the
configured limit; the times are the sandbox's, so they carry a few ms of scheduling jitter).

usage: pollrate.py PREFIX FROM_EPOCH < journal.json
"""
import json
import sys
from datetime import datetime

prefix, since = sys.argv[1], float(sys.argv[2])
entries = json.load(sys.stdin)


def ts(s):
    return datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()


starts = sorted(ts(e['start']) for e in entries
                if e.get('listener') == 'api' and e['method'] == 'GET'
                and e['path'].startswith('/operations/' + prefix) and ts(e['start']) >= since - 0.5)
statuses = {}
for e in entries:
    if e.get('listener') == 'api' and e['path'].startswith('/operations/' + prefix):
        statuses[e['status']] = statuses.get(e['status'], 0) + 1


def peak(width):
    """Most polls whose start lies in any window of `width` seconds."""
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] < t - width:
            j += 1
        best = max(best, i - j + 1)
    return best


span = (starts[-1] - starts[0]) if len(starts) > 1 else 0
print(json.dumps({
    'polls': len(starts), 'span_seconds': span,
    'mean_per_second': (len(starts) - 1) / span if span > 0 else 0,
    'max_in_any_second': peak(1.0), 'max_in_any_5_seconds': peak(5.0), 'first_poll_after_ready': (starts[0] - since) if starts else None,
    'statuses': statuses,
}))
