#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Check one edge run (tests/edge/run-in-guest.sh): the sensor's answers
and the forwarder's dump of OFFLOAD frames against the userspace engine's
reference on the same inputs, and the datapath's counters. TAP out.

ref:     seq decision class conf exit bottleneck-hex|- [tail_class tail_conf]
answers: seq type flags class conf exit decision status
dump:    seq class conf exit decision bottleneck-hex
"""
import argparse
import json

R_EXIT, R_FINAL, R_FROM_TAIL, R_FALLBACK, R_XDP, R_TC = 1, 2, 4, 8, 16, 32
EXIT, OFFLOAD = 0, 1


def lines(path):
    with open(path) as f:
        return [l.split() for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--answers", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--n", type=int, required=True)
    a = ap.parse_args()
    name = a.name
    via = R_TC if name.startswith("tc") else R_XDP
    ref = {int(r[0]): r for r in lines(a.ref)}
    ans = {}
    dup = 0
    for r in lines(a.answers):
        s = int(r[0])
        dup += s in ans
        ans[s] = [int(x) for x in r]
    dump = {int(r[0]): r for r in lines(a.dump)}
    with open(a.stats) as f:
        st = json.load(f)
    out = []

    def check(ok, what):
        out.append(("ok - " if ok else "not ok - ") + name + ": " + what)

    check(len(ans) == a.n and dup == 0 and set(ans) == set(range(a.n)),
          "%d answers for %d frames, %d duplicates" % (len(ans), a.n, dup))
    exits = [s for s in range(a.n) if int(ref[s][1]) == EXIT]
    offl = [s for s in range(a.n) if int(ref[s][1]) == OFFLOAD]
    bad = []
    for s in exits:
        r, x = ref[s], ans.get(s)
        want = (int(r[2]), int(r[3]), int(r[4]), EXIT)
        if not x or (x[3], x[4], x[5], x[6]) != want or \
                not (x[2] & R_EXIT) or not (x[2] & via):
            bad.append((s, r, x))
    check(not bad, "%d exits answered from the datapath, class/confidence/"
          "exit bit-identical to the userspace engine%s"
          % (len(exits), "; first bad: %s" % (bad[0],) if bad else ""))
    bad = []
    for s in offl:
        r, x = ref[s], ans.get(s)
        want = (int(r[6]), int(r[7]), int(r[4]), OFFLOAD)
        if not x or (x[3], x[4], x[5], x[6]) != want or \
                not (x[2] & R_FROM_TAIL) or (x[2] & R_FALLBACK):
            bad.append((s, r, x))
    check(not bad, "%d offloads answered by the tail through the forwarder, "
          "equal to the userspace engine + tail%s"
          % (len(offl), "; first bad: %s" % (bad[0],) if bad else ""))
    bad = []
    for s in offl:
        r, d = ref[s], dump.get(s)
        if not d or d[1:5] != [r[2], r[3], r[4], r[1]] or d[5] != r[5]:
            bad.append((s, r, d))
    check(len(dump) == len(offl) and not bad,
          "%d OFFLOAD frames: local guess and bottleneck bytes bit-identical"
          "%s" % (len(dump), "; first bad: %s" % (bad[0],) if bad else ""))
    reasons = sum(v for k, v in st.items() if k not in (
        "frames", "exits", "finals", "offloads", "offload_bytes", "passed",
        "dropped", "rewrite_error"))
    check(st["frames"] == a.n and st["exits"] == len(exits) and
          st["offloads"] == len(offl) and reasons == 0 and
          st["rewrite_error"] == 0,
          "counters: frames %d exits %d offloads %d malformed %d"
          % (st["frames"], st["exits"], st["offloads"], reasons))
    bn = len(ref[offl[0]][5]) // 2 if offl else 0
    check(st["offload_bytes"] == bn * len(offl),
          "offload_bytes %d = %d x %d" % (st["offload_bytes"], len(offl), bn))
    print("\n".join(out))


if __name__ == "__main__":
    main()
