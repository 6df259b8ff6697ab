#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Check one spex-trace run in the guest (tests/bpf/run-in-guest.sh).

Compares what spex-trace printed (--json), what bpftool dumps from the
pinned maps, the sums of the jobs' own results (trace_jobs run) and the
module's statistics (MODEL_INFO and debugfs). Prints one TAP-style
"ok - ..." or "not ok - ..." line per check.
"""
import argparse
import json
import os


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip().startswith('{')]


def load(path):
    with open(path) as f:
        return json.load(f)


class Checker:
    def __init__(self, prefix):
        self.prefix = prefix

    def eq(self, name, got, want):
        if got == want:
            print(f"ok - {self.prefix}: {name}")
        else:
            print(f"not ok - {self.prefix}: {name}: got {got!r}, want {want!r}")

    def true(self, name, cond, detail=''):
        print(f"{'ok' if cond else 'not ok'} - {self.prefix}: {name}"
              + ('' if cond else f": {detail}"))


def formatted(entries):
    """bpftool -j map dump entries as (key, value) with BTF names."""
    out = []
    for e in entries:
        f = e.get('formatted', e)
        out.append((f['key'], f['value']))
    return out


def find_key(obj, name):
    """A named field anywhere in a bpftool BTF dump (datasecs nest)."""
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            r = find_key(v, name)
            if r is not None:
                return r
    return None


def debugfs_stats(model_id):
    path = f"/sys/kernel/debug/spex/{model_id}/stats"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return {k: int(v) for k, v in (l.split() for l in f if l.strip())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--mode', required=True)
    ap.add_argument('--attach', required=True)
    ap.add_argument('--coef', required=True, help='e_mac,e_mem,e_tx,p_active')
    ap.add_argument('--package-uj', type=int, required=True)
    a = ap.parse_args()
    d = lambda n: os.path.join(a.dir, f"{a.mode}.{n}")
    c = Checker(a.mode)
    e_mac, e_mem, e_tx, p_act = (int(x) for x in a.coef.split(','))

    def energy_fj(macs, weight_bytes, act_bytes, offload_bytes, ns):
        """The modelled-energy formula of Documentation/tracing.rst."""
        return (e_mac * macs + e_mem * (weight_bytes + act_bytes) +
                e_tx * offload_bytes + p_act * ns)

    trace = lines(d('trace.json'))
    c.true('spex-trace printed JSON', bool(trace))
    if not trace:
        return
    t = trace[-1]
    c.eq('attach mode', t['attach'], a.attach)
    c.eq('coefficients', t['coefficients'],
         {'e_mac_fj': e_mac, 'e_mem_fj': e_mem, 'e_tx_fj': e_tx,
          'p_active_uw': p_act})

    # What the jobs themselves reported, summed per model.
    want = {}
    for r in lines(d('jobs')):
        w = want.setdefault(r['model_id'], {k: 0 for k in (
            'jobs', 'exits', 'offloads', 'finals', 'errors', 'offload_bytes',
            'macs', 'weight_bytes', 'act_bytes', 'bytes', 'ns',
            'layers_run')} | {'exit_at': [0] * 8})
        for k in w:
            if k == 'exit_at':
                w[k] = [x + y for x, y in zip(w[k], r[k])]
            else:
                w[k] += r[k]
    module = {m['model_id']: m for m in lines(d('mod'))}
    got = {m['model_id']: m for m in t['models']}

    sum_ns = 0
    for mid, w in sorted(want.items()):
        p = f"model {mid}: "
        m = got.get(mid)
        c.true(p + 'in the trace', m is not None, f"models {list(got)}")
        if m is None:
            continue
        mod = module[mid]
        sum_ns += m['ns']
        c.eq(p + 'jobs == N', m['jobs'], w['jobs'])
        c.eq(p + 'jobs == module', m['jobs'], mod['jobs'])
        c.eq(p + 'exits == module', m['exits'], mod['exits'])
        c.eq(p + 'offloads == module', m['offloads'], mod['offloads'])
        c.eq(p + 'errors == module', m['errors'], mod['errors'])
        c.eq(p + 'exits == results', m['exits'], w['exits'])
        c.eq(p + 'offloads == results', m['offloads'], w['offloads'])
        c.eq(p + 'exit_at == results', m['exit_at'], w['exit_at'])
        dbg = debugfs_stats(mid)
        if dbg is not None:
            c.eq(p + 'debugfs jobs/exits/offloads',
                 (dbg['jobs'], dbg['exits'], dbg['offloads']),
                 (m['jobs'], m['exits'], m['offloads']))
        h = m['hist_us']
        c.eq(p + 'histogram total == N', sum(sum(v) for v in h.values()),
             w['jobs'])
        c.eq(p + 'exit histogram == exits', sum(h['exit']), m['exits'])
        # trace_jobs runs ioctl and uring_cmd jobs: all enter as "dev".
        en_ = m['entries']
        c.eq(p + 'jobs by entry: all dev',
             {k: v['jobs'] for k, v in en_.items()},
             {'dev': w['jobs'], 'atomic': 0, 'kfunc': 0, 'other': 0})
        c.eq(p + 'entry histograms == jobs by entry',
             {k: sum(v['hist_us']) for k, v in en_.items()},
             {k: v['jobs'] for k, v in en_.items()})
        c.eq(p + 'offload histogram == offloads', sum(h['offload']),
             m['offloads'])
        c.eq(p + 'offload bytes == sum of bottleneck_len', m['offload_bytes'],
             w['offload_bytes'])
        c.eq(p + 'offload bytes == offloads x bottleneck',
             m['offload_bytes'], m['offloads'] * mod['output_bytes'])
        c.eq(p + 'macs, weight/act bytes, ns == results',
             (m['macs'], m['weight_bytes'], m['act_bytes'], m['ns']),
             (w['macs'], w['weight_bytes'], w['act_bytes'], w['ns']))
        c.eq(p + 'bytes == weight + act bytes', m['bytes'],
             m['weight_bytes'] + m['act_bytes'])
        c.eq(p + 'ns == module total_ns', m['ns'], mod['total_ns'])
        en = m['energy']
        c.eq(p + 'energy mode', en['mode'], 'modelled')
        c.eq(p + 'energy terms == formula on the results',
             (en['mac_fj'], en['mem_fj'], en['tx_fj'], en['active_fj']),
             (e_mac * w['macs'], e_mem * (w['weight_bytes'] + w['act_bytes']),
              e_tx * w['offload_bytes'], p_act * w['ns']))
        c.eq(p + 'energy total == formula', en['total_fj'],
             energy_fj(w['macs'], w['weight_bytes'], w['act_bytes'],
                       w['offload_bytes'], w['ns']))
        ly = m['layers']
        if t['layers_traced']:
            c.eq(p + 'layer events == layers run',
                 sum(l['count'] for l in ly), w['layers_run'])
            c.eq(p + 'layer macs == job macs', sum(l['macs'] for l in ly),
                 w['macs'])
            c.eq(p + 'layer weight/act bytes == job weight/act bytes',
                 (sum(l['weight_bytes'] for l in ly),
                  sum(l['act_bytes'] for l in ly)),
                 (w['weight_bytes'], w['act_bytes']))

    # Measured energy against the fake powercap tree.
    ms = t['measured']
    c.eq('measured mode', ms['mode'], 'rapl')
    c.eq('package energy across the wrap', ms['package_uj'], a.package_uj)
    busy = ms['busy_ns']
    c.true('busy time >= jobs time', busy >= sum_ns, f"{busy} < {sum_ns}")
    for m in t['models']:
        if m['model_id'] in want and busy:
            c.eq(f"model {m['model_id']}: measured == package x CPU share",
                 m['energy_measured']['uj'],
                 a.package_uj * m['ns'] // busy)

    # bpftool sees the programs by name, and the pinned maps with BTF.
    suffix = 'btf' if a.attach == 'tp_btf' else 'raw'
    names = {p.get('name') for p in load(d('progs.json'))}
    want_progs = {f'spex_end_{suffix}'}
    if t['layers_traced']:
        want_progs.add(f'spex_layer_{suffix}')
    c.true('bpftool prog show names the programs', want_progs <= names,
           f"missing {sorted(want_progs - names)}")
    # spex_job_end alone counts a job: nothing runs on spex_exit_decision.
    c.eq('no program on exit_decision',
         sorted(n for n in names if n and n.startswith('spex_exit')), [])
    stats = dict((k if isinstance(k, int) else int(k), v)
                 for k, v in formatted(load(d('dump.stats.json'))))
    for mid in want:
        v = stats.get(mid)
        c.true(f'bpftool dump stats: model {mid}', v is not None,
               f"keys {list(stats)}")
        if v is None:
            continue
        m = got[mid]
        # The map holds counts only: its counters priced by the formula
        # give the energy spex-trace derived.
        c.eq(f'bpftool dump stats: model {mid} named fields',
             (v['jobs'], v['exits'], v['offloads'], v['errors'],
              list(v['exit_at']), v['offload_bytes'], v['weight_bytes'],
              v['act_bytes'],
              energy_fj(v['macs'], v['weight_bytes'], v['act_bytes'],
                        v['offload_bytes'], v['ns'])),
             (m['jobs'], m['exits'], m['offloads'], m['errors'],
              m['exit_at'], m['offload_bytes'], m['weight_bytes'],
              m['act_bytes'], m['energy']['total_fj']))
        c.eq(f'bpftool dump stats: model {mid} has no energy fields',
             sorted(k for k in v if k.startswith('energy')), [])
    for mid in want:
        v = stats.get(mid)
        if v is not None:
            c.eq(f'bpftool dump stats: model {mid} hist_us total == N',
                 sum(sum(row) for row in v['hist_us']), want[mid]['jobs'])
            c.eq(f'bpftool dump stats: model {mid} entry_jobs',
                 list(v['entry_jobs']), [want[mid]['jobs'], 0, 0, 0])
    cfg = load(d('dump.config.json'))
    c.eq('bpftool dump config: coefficients',
         [find_key(cfg, k) for k in ('e_mac_fj', 'e_mem_fj', 'e_tx_fj',
                                     'p_active_uw')],
         [e_mac, e_mem, e_tx, p_act])


if __name__ == '__main__':
    main()
