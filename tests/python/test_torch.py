#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""The PyTorch front end (spex.nn, spex.export) on a small synthetic task
(where is the bright patch: 4 classes, 8x8 images, 480 of them, 3
epochs): layer masks are the engine's pattern, the split network trains,
the int8 export loads, and the engine's answers on the test set equal
the int8 simulation's (decisions, exits, classes, confidences,
bottlenecks, tail classes), and offloading through spex-serve gives
the simulation's answers."""
import os
import tempfile
import unittest

from spextest import Server, main, np, open_handle, spex

import torch
from torch import nn

from spex.export import export
from spex.nn import EarlyExit, SparseConv2d, SparseLinear, SplitNet


def patches(n, seed):
    """Images with a bright 3x3 patch in quadrant y, plus noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n, 1, 8, 8), generator=g) * 0.4
    y = torch.randint(0, 4, (n,), generator=g)
    off = torch.randint(0, 2, (n, 2), generator=g)
    for i in range(n):
        r = (y[i] // 2) * 4 + off[i, 0]
        c = (y[i] % 2) * 4 + off[i, 1]
        x[i, 0, r:r + 3, c:c + 3] += 0.6
    # as 8-bit pixels, so the int8 input (p - 128) is exact
    return torch.round(x.clamp(0, 1) * 255) / 255, y


def build():
    torch.manual_seed(0)
    head = nn.Sequential(
        SparseConv2d(1, 8, 3, 1, padding=1, pattern="dense", relu=True),
        nn.MaxPool2d(2),
        SparseConv2d(8, 8, 3, 4, padding=1, pattern="random", seed=3,
                     mask="periodic", period=5, relu=True),
        nn.Flatten(),
        SparseLinear(128, 32, 16, pattern="cf1", z=4, starts="seed",
                     seed=5, relu=True))
    exits = [EarlyExit(3, [SparseLinear(128, 4, 32, seed=7)],
                       threshold=0.6)]
    tail = nn.Sequential(
        SparseLinear(32, 32, 8, seed=9, relu=True),
        nn.ReLU(),
        SparseLinear(32, 4, 8, pattern="cf2", z=4, starts="seed", seed=11))
    return SplitNet(head, tail, exits, input_shape=(1, 8, 8), n_classes=4)


class Layers(unittest.TestCase):
    def test_linear_mask_is_the_engines_pattern(self):
        m = SparseLinear(64, 32, 16, pattern="cf3", z=8, seed=4,
                         dither=True)
        edges = spex.pattern_edges(64, 32, 16, "cf3", z=8, seed=4,
                                   dither=True)
        np.testing.assert_array_equal(m.edges.numpy(), edges)
        d = m.dense_weight()
        self.assertEqual(int((d != 0).sum(1).max()), 16)
        x = torch.randn(5, 64)
        torch.testing.assert_close(m(x), x @ d.T + m.bias)

    def test_conv_mask_is_the_engines(self):
        m = SparseConv2d(6, 4, 3, 3, pattern="random", seed=2,
                         mask="periodic", period=3)
        edges = spex.pattern_edges(6, 4, 3, "random", seed=2)
        for o in range(4):
            chans = set(int(c) for c in edges[o])
            for c in range(6):
                kept = int(m.weight_mask[o, c].sum())
                if c not in chans:
                    self.assertEqual(kept, 0)
            for s in range(3):
                want = spex.conv_mask(3, 3, o, s, "periodic", 3)
                got = [t for t in range(9)
                       if m.weight_mask[o, int(edges[o, s]),
                                        t // 3, t % 3]]
                self.assertEqual(got, want)

    def test_bad_parameters(self):
        with self.assertRaises(spex.SpexError) as cm:
            SparseLinear(10, 4, 3, pattern="cf1", z=2)
        self.assertEqual(cm.exception.status_name, "SPEX_E_DEGREE")
        with self.assertRaises(ValueError):
            SparseConv2d(4, 4, 3, 2, mask="diagonal")
        with self.assertRaises(ValueError):
            SplitNet(nn.Sequential(nn.Flatten()), nn.Sequential(),
                     [EarlyExit(3, [nn.Flatten()])])


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.x, cls.y = patches(480, 1)
        cls.tx, cls.ty = patches(240, 2)
        cls.net = build()
        opt = torch.optim.Adam(cls.net.parameters(), 1e-2)
        for _ in range(3):
            for i in range(0, len(cls.x), 32):
                loss = cls.net.loss(cls.net(cls.x[i:i + 32]),
                                    cls.y[i:i + 32])
                opt.zero_grad()
                loss.backward()
                opt.step()
        cls.q = export(cls.net, [(cls.x[i:i + 64],)
                                 for i in range(0, 256, 64)], name="patch")

    def test_it_learned(self):
        with torch.no_grad():
            acc = (self.net(self.tx)[-1].argmax(1) == self.ty).float().mean()
        self.assertGreater(float(acc), 0.8)

    def test_one_hash_in_both_halves(self):
        h = open_handle()
        try:
            head, tail = h.load(self.q.head_blob), h.load(self.q.tail_blob)
            self.assertEqual(head.info.role, "head")
            self.assertEqual(tail.info.role, "tail")
            self.assertEqual(head.info.hash, self.q.hash)
            self.assertEqual(tail.info.hash, self.q.hash)
            self.assertEqual(head.info.n_exits, 1)
            self.assertEqual(head.info.output_bytes, 32)
            self.assertEqual(head.info.layers[4].in_degree, 16)
            head.unload()
            tail.unload()
        finally:
            h.close()

    def test_engine_equals_int8_simulation(self):
        xq = self.q.quantize_input(self.tx)
        # 8-bit pixels quantize exactly: q = p - 128
        np.testing.assert_array_equal(
            xq.astype(int), np.round(self.tx.numpy() * 255).astype(int) - 128)
        # the file's threshold, then the median exit confidence as policy
        # so that about half the inputs exit and half offload
        conf = self.q.simulate(xq).exit_confidence_q16[0]
        med = float(np.median(conf)) / 65536
        with open_handle() as h:
            r = self.q.verify(h, xq, self.ty.numpy())
            self.assertEqual(r["mismatched"], 0, r["mismatches"])
            r = self.q.verify(h, xq, self.ty.numpy(), thresholds=[med])
        self.assertEqual(r["mismatched"], 0, r["mismatches"])
        self.assertGreater(r["exits"], 0)
        self.assertGreater(r["offloads"], 0)
        self.assertEqual(r["engine_accuracy"], r["sim_accuracy"])
        self.assertGreater(r["sim_accuracy"], 0.7)

    def test_offload_through_spex_serve(self):
        with tempfile.TemporaryDirectory(prefix="spex-py-") as d:
            tail = os.path.join(d, "patch-tail.spx")
            with open(tail, "wb") as f:
                f.write(self.q.tail_blob)
            srv = Server(tail)
            try:
                xq = self.q.quantize_input(self.tx)
                conf = self.q.simulate(xq).exit_confidence_q16[0]
                med = float(np.median(conf)) / 65536
                sim = self.q.simulate(xq, [med])
                with open_handle() as h:
                    m = h.load(self.q.head_blob)
                    m.set_offload("127.0.0.1", srv.port, deadline_ms=5000)
                    m.set_policy("auto", [med])
                    b = m.infer(xq)
                self.assertGreater(int((b.decision == 1).sum()), 0)
                self.assertTrue((b.origin[b.decision == 1] == 2).all())
                np.testing.assert_array_equal(b.class_id, sim.answer)
            finally:
                srv.close()

if __name__ == "__main__":
    main()
