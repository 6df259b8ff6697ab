#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Summarize tests/edge/bench-in-guest.sh runs: per set-up the best
frames/s and the best p50/p99 round trip over the rounds, then the ratios
the goals name (Documentation/performance.rst). Emulated numbers."""
import re
import sys

best = {}
for line in sys.stdin:
    m = re.match(r"run (\S+) sent (\d+) answered (\d+) .* secs ([0-9.]+) rtt ?(.*)", line)
    if not m:
        continue
    name, answered, secs = m.group(1), int(m.group(3)), float(m.group(4))
    rtt = sorted(int(x) for x in m.group(5).split())
    fps = answered / secs if secs > 0 else 0
    p50 = rtt[len(rtt) // 2] / 1e3 if rtt else float("nan")
    p99 = rtt[min(len(rtt) - 1, int(len(rtt) * 0.99))] / 1e3 if rtt else float("nan")
    b = best.setdefault(name, [0, float("inf"), float("inf"), 0])
    b[0] = max(b[0], fps)
    if p50 < b[1]:
        b[1], b[2] = p50, p99
    b[3] += 1
print("# edge datapath benchmark (emulated: QEMU TCG; ratios only)")
print("# %-12s %10s %10s %10s %6s" % ("set-up", "frames/s", "p50 us", "p99 us", "runs"))
for name, (fps, p50, p99, runs) in best.items():
    print("# %-12s %10.0f %10.1f %10.1f %6d" % (name, fps, p50, p99, runs))
user = [k for k in ("user-device", "user-user") if k in best]
if "xdp-native" in best and user:
    u = max(user, key=lambda k: best[k][0])
    ul = min(user, key=lambda k: best[k][1])
    x = best["xdp-native"]
    print("# xdp-native vs best userspace (%s): %.2fx frames/s; p50 %.2fx lower (vs %s)"
          % (u, x[0] / best[u][0], best[ul][1] / x[1], ul))
    if "echo" in best:
        print("# xdp-native vs bare XDP_TX echo: %.2fx of its frames/s"
              % (x[0] / best["echo"][0]))
