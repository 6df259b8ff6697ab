#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Check an engine against the int8 simulation that mnist_split.py
recorded, without torch: load OUT/head.spx and OUT/tail.spx on the
backend, run OUT/sim.npz's int8 inputs through them and compare every
answer (decision, exit, class, confidence, bottleneck bytes, the tail's
class) with the simulation's. Exit status 1 on any mismatch.

  replay_head.py [--out DIR] [--backend user|device|auto]

This is how the example runs on /dev/spex in the QEMU guest, where
importing torch under emulation takes too long (Documentation/python.rst).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

import spex  # noqa: E402
from spex.check import compare, load_record  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="build/python-mnist")
    ap.add_argument("--backend", default="device")
    a = ap.parse_args()

    xq, sim, labels, th = load_record(os.path.join(a.out, "sim.npz"))
    with open(os.path.join(a.out, "head.spx"), "rb") as f:
        head = f.read()
    with open(os.path.join(a.out, "tail.spx"), "rb") as f:
        tail = f.read()
    with spex.Spex(a.backend) as h:
        r = compare(h, head, tail, xq, sim, labels, th)
        print("engine (%s): %d inputs, %d exit early, %d offload" %
              (h.backend, r["n"], r["exits"], r["offloads"]))
    if labels is not None:
        print("int8 simulation accuracy: %.4f" % r["sim_accuracy"])
        print("engine accuracy:          %.4f" % r["engine_accuracy"])
    print("mismatches vs simulation: %d %s" % (r["mismatched"],
                                               r["mismatches"]))
    return 0 if r["mismatched"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
