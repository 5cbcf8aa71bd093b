#!/usr/bin/env python3
"""Medians of bench/decoders' benchmark output, and each candidate's ratio to Moat's decoder.

    python3 medians.py run1.txt run2.txt run3.txt
"""
import collections
import re
import statistics as st
import sys

LINE = re.compile(r'Benchmark(\w+)/(\S+)-\d+\s+\d+\s+([\d.]+) ns/op.*?([\d.]+) cpu-ns/op\s+(\d+) B/op\s+(\d+) allocs/op')
BASE = 'jsoniter-moat'

runs = collections.defaultdict(lambda: collections.defaultdict(list))
for name in sys.argv[1:]:
    for line in open(name):
        m = LINE.match(line)
        if m:
            group, cand, ns, cpu, b, a = m.groups()
            runs[group][cand].append((float(ns), float(cpu), int(b), int(a)))
for group, cands in runs.items():
    base_wall = st.median(x[0] for x in cands[BASE])
    base_cpu = st.median(x[1] for x in cands[BASE])
    print(f'== {group}: {len(cands[BASE])} samples a candidate, from {len(sys.argv) - 1} files; ratios to {BASE}')
    for cand, xs in sorted(cands.items(), key=lambda kv: st.median(x[1] for x in kv[1])):
        wall, cpu = st.median(x[0] for x in xs), st.median(x[1] for x in xs)
        print(f'{cand:20s} wall {wall / 1e3:10.1f} us ({wall / base_wall:.2f})  cpu {cpu / 1e3:10.1f} us ({cpu / base_cpu:.2f})'
              f'  {st.median(x[2] for x in xs):9.0f} B/op {st.median(x[3] for x in xs):8.0f} allocs/op')
