#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""Train a split/early-exit network on MNIST in PyTorch with spex's
sparse layers, export int8 head.spx and tail.spx, and run the head on a
spex engine (userspace, or /dev/spex), offloading to spex-serve when
--server is given. Prints float, int8-simulation and engine accuracy;
the engine's answers must equal the simulation's (exit status 1 if not).
OUT also gets sim.npz (the int8 inputs and the simulation's answers),
which replay_head.py checks an engine against without torch.

  mnist_split.py [--data DIR] [--out DIR] [--epochs N] [--train N]
                 [--test N] [--backend user|device|auto]
                 [--server HOST:PORT] [--threshold T] [--no-train]

DIR holds the official train-/t10k- IDX files (scripts/get-datasets.sh
mnist; default $SPEX_DATA/mnist or ~/.cache/spex/datasets/mnist): the
training images are a fixed-seed draw from the official training set,
the test images the first of the official test set.
--no-train reuses OUT/model.pt from an earlier run (e.g. on the host,
then the engine run in the QEMU guest)."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import spex  # noqa: E402
from spex.check import save_record  # noqa: E402
from spex.export import export  # noqa: E402
from spex.idx import read_idx  # noqa: E402
from spex.nn import EarlyExit, SparseConv2d, SparseLinear, SplitNet  # noqa


def network():
    """Head: two sparse convs and a sparse FC to a 64-wide bottleneck,
    with an early exit after the first pooling; tail: two sparse FCs."""
    head = nn.Sequential(
        SparseConv2d(1, 16, 3, 1, padding=1, pattern="dense", relu=True),
        nn.MaxPool2d(2),					# 16x14x14
        SparseConv2d(16, 32, 3, 4, padding=1, pattern="cf1", z=4,
                     starts="seed", seed=1, relu=True),
        nn.MaxPool2d(2),					# 32x7x7
        nn.Flatten(),
        SparseLinear(32 * 49, 64, 98, pattern="random", seed=2, relu=True))
    exits = [EarlyExit(1, [nn.MaxPool2d(2), nn.Flatten(),
                           SparseLinear(16 * 49, 10, 392, seed=3)],
                       threshold=0.9)]
    tail = nn.Sequential(
        SparseLinear(64, 64, 16, pattern="cf2", z=4, starts="seed", seed=4,
                     relu=True),
        SparseLinear(64, 10, 32, pattern="random", seed=5))
    return SplitNet(head, tail, exits, input_shape=(1, 28, 28),
                    n_classes=10, input_q=(1.0 / 255, -128))


def main():
    cache = os.environ.get("SPEX_DATA") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "spex", "datasets")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(cache, "mnist"))
    ap.add_argument("--out", default="build/python-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train", type=int, default=8000)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--backend", default="user")
    ap.add_argument("--server", help="spex-serve HOST:PORT with tail.spx")
    ap.add_argument("--threshold", type=float,
                    help="exit threshold for the engine's policy")
    ap.add_argument("--no-train", action="store_true")
    a = ap.parse_args()

    # The official split: --train images drawn (fixed seed) from the
    # 60,000 training images, the first --test of the official test set.
    images = np.concatenate([
        read_idx(os.path.join(a.data, "train-images-idx3-ubyte")),
        read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte"))])
    labels = np.concatenate([
        read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")),
        read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte"))])
    n_train = len(images) - 10000
    tr = np.random.default_rng(42).permutation(n_train)[:a.train]
    te = n_train + np.arange(min(a.test, 10000))
    x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))

    torch.manual_seed(0)
    net = network()
    os.makedirs(a.out, exist_ok=True)
    ckpt = os.path.join(a.out, "model.pt")
    if a.no_train:
        net.load_state_dict(torch.load(ckpt))
    else:
        torch.set_num_threads(2)
        opt = torch.optim.Adam(net.parameters(), 2e-3)
        for ep in range(a.epochs):
            perm = torch.from_numpy(tr[np.random.default_rng(ep)
                                       .permutation(len(tr))])
            for i in range(0, len(perm), 64):
                b = perm[i:i + 64]
                loss = net.loss(net(x[b]), y[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
            print("epoch %d: loss %.3f" % (ep + 1, float(loss)))
        torch.save(net.state_dict(), ckpt)

    net.eval()
    with torch.no_grad():
        fl = net(x[te])[-1].argmax(1).numpy()
    calib = [(x[tr[i:i + 256]],) for i in range(0, 1024, 256)]
    q = export(net, calib, name="mnist-py")
    head, tail = q.save(a.out)
    print("wrote %s and %s, content hash %s" % (head, tail, q.hash.hex()))

    xq = q.quantize_input(x[te])
    th = [a.threshold] if a.threshold is not None else None
    sim = q.simulate(xq, th)
    yt = y[te].numpy()
    # For replay_head.py: the same check where torch is too slow to run.
    save_record(os.path.join(a.out, "sim.npz"), xq, sim, yt, th)
    print("float (PyTorch) accuracy:    %.4f" % (fl == yt).mean())
    print("int8 simulation accuracy:    %.4f  (%d of %d exit early)" %
          ((sim.answer == yt).mean(), int((sim.decision == 0).sum()),
           len(yt)))
    ok = True
    with spex.Spex(a.backend) as h:
        r = q.verify(h, xq, yt, th)
        print("engine (%s) accuracy: %.4f  mismatches vs simulation: %d" %
              (h.backend, r["engine_accuracy"], r["mismatched"]))
        ok = r["mismatched"] == 0
        if a.server:
            host, port = a.server.rsplit(":", 1)
            m = h.load(q.head_blob)
            if th:
                m.set_policy("auto", th)
            m.set_offload(host, int(port), deadline_ms=5000)
            b = m.infer(xq)
            tails = int((b.origin == 2).sum())
            acc = float((b.class_id == yt).mean())
            print("offload to %s: %d answered by the tail, accuracy %.4f"
                  % (a.server, tails, acc))
            ok = ok and (b.class_id == sim.answer).all() and \
                tails == int((sim.decision == 1).sum())
            m.unload()
    print("engine equals int8 simulation" if ok else
          "MISMATCH between engine and simulation")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
