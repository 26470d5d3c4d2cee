#!/usr/bin/env python3
"""Prints the results table: one row per stdin line, fields separated by '|'."""
import sys

head = ['case', 'metric', 'exportsync', 'baseline', 'ratio', 'target', 'verdict']
body = [(line.rstrip('\n').split('|') + [''] * 7)[:7] for line in sys.stdin if line.strip()]
body.sort(key=lambda r: r[0][:1])  # by case number, stable
rows = [head] + body
rows = [[c if c or i in (0, 1, 5, 6) else '-' for i, c in enumerate(r)] for r in rows]
widths = [max(len(r[i]) for r in rows) for i in range(7)]
for r in rows:
    print('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
