#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Summarise the tracing-overhead benchmark (run-in-guest.sh bench).

stdin: "bench CFG {json}" lines (trace_jobs bench), "progs CFG [bpftool
-j prog show]" lines, one "module {json}" line (trace_jobs stats).
Prints jobs/s best and median per set-up, overhead against "off", and the
bpf programs' own run time per job (kernel.bpf_stats_enabled).
"""
import json
import statistics
import sys

runs, progs, module = {}, {}, None
for line in sys.stdin:
    kind, _, rest = line.partition(' ')
    if kind == 'module':
        module = json.loads(rest)
        continue
    cfg, _, rest = rest.partition(' ')
    if kind == 'bench':
        runs.setdefault(cfg, []).append(json.loads(rest)['jobs_per_s'])
    elif kind == 'progs':
        # run_time_ns and run_cnt are cumulative per load: keep the last
        # sample of each program of this set-up's most recent load.
        for p in json.loads(rest):
            n = p.get('name', '')
            if n.startswith('spex_') and p.get('run_cnt'):
                progs.setdefault(cfg, {})[n] = (p['run_time_ns'], p['run_cnt'])

best_off = max(runs.get('off', [0])) or 1
med_off = statistics.median(runs.get('off', [1]))
print("# cfg      runs  best jobs/s  median jobs/s  overhead(best)  overhead(median)")
for cfg in ('off', 'on', 'layers'):
    r = runs.get(cfg)
    if not r:
        continue
    b, m = max(r), statistics.median(r)
    print(f"# {cfg:8s} {len(r):4d}  {b:11.1f}  {m:13.1f}  "
          f"{100 * (1 - b / best_off):13.1f}%  {100 * (1 - m / med_off):15.1f}%")
job_ns = module['total_ns'] / module['jobs'] if module and module['jobs'] else 0
print(f"# engine time per job (module stats): {job_ns:.0f} ns")
for cfg, ps in progs.items():
    jobs = max((c for n, (t, c) in ps.items() if n.startswith('spex_end')),
               default=0)
    tot = sum(t for t, c in ps.values())
    per = ' '.join(f"{n}={t / c:.0f}ns x{c / jobs if jobs else 0:.1f}/job"
                   for n, (t, c) in sorted(ps.items()))
    print(f"# {cfg}: bpf run time per job {tot / jobs if jobs else 0:.0f} ns "
          f"({100 * tot / jobs / job_ns if jobs and job_ns else 0:.1f}% of the "
          f"engine time): {per}")
