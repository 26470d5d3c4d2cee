#!/usr/bin/env python3
"""Case 6 (discovery): a test form with N attachments, and what the sandbox journal says of a scan.

usage: discovery.py scenario OUT.json --attachments N [--page-size P] [--size BYTES]
       discovery.py report < journal.json
The form has 4 test phases, 10 matrices per phase and 25 samples per matrix; 2 % of the
attachments hang on test phases, 8 % on matrices, the rest on samples. Zero artificial latency:
polls = 0, Retry-After 0, no rate limits. `report` prints one JSON object: list requests and
pages, the scan's span (first list request to the last list answer), the export window (first
kickoff to the last download answer) and kickoffs per attachment.
"""
import argparse
import json
import sys
from collections import Counter
from datetime import datetime


def scenario(a):
    n = a.attachments
    phases, matrices_per_phase, samples_per_matrix = 4, 10, 25
    matrices = phases * matrices_per_phase
    samples = matrices * samples_per_matrix
    ids = [f"att-{i:06d}" for i in range(n)]
    at_phase, at_matrix = n * 2 // 100, n * 8 // 100
    phase_ids, matrix_ids, sample_ids = ids[:at_phase], ids[at_phase:at_phase + at_matrix], ids[at_phase + at_matrix:]

    def share(items, buckets, index):
        return items[index::buckets]

    forms = [{"id": "tf-bench", "testPhases": []}]
    for p in range(phases):
        phase = {"id": f"tp-{p}", "attachments": share(phase_ids, phases, p), "matrices": []}
        for m in range(matrices_per_phase):
            mi = p * matrices_per_phase + m
            matrix = {"id": f"mx-{mi}", "attachments": share(matrix_ids, matrices, mi), "samples": []}
            for s in range(samples_per_matrix):
                si = mi * samples_per_matrix + s
                matrix["samples"].append({"id": f"sm-{si}", "attachments": share(sample_ids, samples, si)})
            phase["matrices"].append(matrix)
        forms[0]["testPhases"].append(phase)
    document = {
        "unknownFields": False,
        "workiva": {
            "tokenLifetimeSeconds": 3600, "requestsPerSecond": 0, "pollsPerSecond": 0, "retryAfterOn429": "always",
            "downloadMode": "direct", "listPageSize": a.page_size,
            "defaultTimeline": {"outcome": "completed", "polls": 0, "seconds": 0, "kickoffRetryAfter": 0, "retryAfter": [0]},
            "clients": [{"clientId": "bench-client", "clientSecret": "bench-secret",
                         "scopes": ["file:read", "file:write", "graph:read", "graph:write"]}],
            "resources": [{"id": i, "kind": "attachment", "name": f"Evidence {i}", "size": a.size} for i in ids],
            "testForms": forms,
        },
    }
    with open(a.out, "w") as f:
        json.dump(document, f)


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def report():
    entries = [e for e in json.load(sys.stdin) if e.get("listener") == "api"]
    lists = [e for e in entries if e["method"] == "GET" and e["path"].startswith("/testForms/")]
    kickoffs = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/export")]
    per_attachment = Counter(e["path"].split("/")[-2] for e in kickoffs)
    out = {
        "list_requests": len(lists),
        "list_pages_after_first": sum(1 for e in lists if "skiptoken" in (e.get("query") or "")),
        "scan_seconds": round(max(ts(e.get("end") or e["start"]) for e in lists) - min(ts(e["start"]) for e in lists), 3) if lists else None,
        "kickoffs": len(kickoffs),
        "attachments_kicked_off": len(per_attachment),
        "max_kickoffs_per_attachment": max(per_attachment.values()) if per_attachment else 0,
    }
    if kickoffs:
        last = max(ts(e.get("end") or e["start"]) for e in entries)
        out["export_window_seconds"] = round(last - min(ts(e["start"]) for e in kickoffs), 3)
    print(json.dumps(out))


p = argparse.ArgumentParser()
p.add_argument("what", choices=["scenario", "report"])
p.add_argument("out", nargs="?")
p.add_argument("--attachments", type=int, default=10000)
p.add_argument("--page-size", type=int, default=100)
p.add_argument("--size", type=int, default=8000)
a = p.parse_args()
scenario(a) if a.what == "scenario" else report()
