#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""The Python binding (lib/python/spex) against libspex on the backend
under test: struct layouts, load/describe/unload, infer one and a batch,
submit/reap, policy, offload to spex-serve, errors, the pattern
generator."""
import errno
import os
import re
import unittest

from spextest import (BACKEND, REPO, Server, SplitNet, main, np,
                      open_handle, spex)
from spex._lib import ffi

# Each struct and the byte count its header states.
SIZED = ("spx_pattern", "spex_policy", "spex_result", "spex_info",
         "spex_layer_desc", "spex_model_desc")


def header_sizes():
    text = open(os.path.join(REPO, "include", "uapi", "linux",
                             "spex.h")).read()
    sizes = {}
    for m in re.finditer(r"^struct (\w+) \{\n(?:[^}]*\n)*?\};\s*"
                         r"/\* (\d+) bytes \*/", text, re.M):
        sizes[m.group(1)] = int(m.group(2))
    return sizes


class Layout(unittest.TestCase):
    def test_struct_sizes_match_the_uapi(self):
        sizes = header_sizes()
        for name in SIZED:
            self.assertIn(name, sizes)
            self.assertEqual(ffi.sizeof("struct " + name), sizes[name], name)

    def test_status_names_match_the_uapi(self):
        text = open(os.path.join(REPO, "include", "uapi", "linux",
                                 "spex.h")).read()
        body = text[text.index("enum spex_status {"):]
        body = body[:body.index("};")]
        names = tuple(re.findall(r"^\s*(SPEX_(?:OK|E_\w+))", body, re.M))
        self.assertEqual(names, spex.STATUS_NAMES)


class Models(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = SplitNet(64)

    @classmethod
    def tearDownClass(cls):
        cls.net.close()

    def setUp(self):
        self.h = open_handle()
        self.assertEqual(self.h.backend, BACKEND)

    def tearDown(self):
        self.h.close()

    def test_info(self):
        i = self.h.info()
        self.assertEqual(i["abi_version"], 1)
        self.assertGreater(i["max_jobs_per_file"], 0)
        self.assertIn(i["kernels"], ("scalar", "avx2", "avx512", "vnni",
                                     "user", i["kernels"]))
        self.assertTrue(i["kernels"])

    def test_load_describe_unload(self):
        m = self.h.load(self.net.head)
        self.assertIn(m.id, self.h.models())
        info = m.info
        self.assertEqual(info.role, "head")
        self.assertEqual(info.dtype, "int8")
        self.assertEqual(info.input_bytes, self.net.inputs.shape[1])
        self.assertEqual(len(info.layers), info.n_layers)
        self.assertEqual(info.n_exits, len(info.thresholds))
        t = self.h.load(self.net.tail)
        self.assertEqual(t.info.role, "tail")
        self.assertEqual(t.info.hash, info.hash)
        self.assertEqual(t.info.input_bytes, info.output_bytes)
        m.unload()
        self.assertNotIn(m.id, self.h.models())
        with self.assertRaises(spex.SpexError) as cm:
            self.h.describe(m.id)
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        t.unload()

    def test_load_from_bytes(self):
        blob = open(self.net.full, "rb").read()
        m = self.h.load(blob)
        self.assertEqual(m.info.role, "full")
        self.assertEqual(m.info.file_bytes, len(blob))
        m.unload()

    def test_full_model_gives_the_labels(self):
        m = self.h.load(self.net.full)
        # labels.idx holds the last layer's answers: never exit early.
        m.set_policy("offload")
        r = m.infer(self.net.inputs)
        self.assertTrue((r.res == 0).all())
        self.assertTrue((r.decision == 2).all())
        np.testing.assert_array_equal(r.class_id, self.net.labels)
        self.assertEqual(r.output.shape, (len(self.net.inputs),
                                          m.info.output_bytes))
        m.unload()

    def test_batch_equals_one_by_one(self):
        m = self.h.load(self.net.head)
        b = m.infer(self.net.inputs)
        self.assertEqual(len(b), len(self.net.inputs))
        for i, x in enumerate(self.net.inputs):
            r = m.infer(x)
            self.assertEqual(spex.DECISIONS[b.decision[i]], r.decision)
            self.assertEqual(b.class_id[i], r.class_id)
            self.assertEqual(b.confidence_q16[i], r.confidence_q16)
            if r.decision == "offload":
                self.assertEqual(r.origin, "bottleneck")
                np.testing.assert_array_equal(b.output[i], r.bottleneck)
            else:
                self.assertIsNone(r.bottleneck)
        # a (N, C, H, W) batch is the same batch
        shaped = self.net.inputs.reshape((-1,) + m.info.input_shape)
        b2 = m.infer(shaped)
        np.testing.assert_array_equal(b2.class_id, b.class_id)
        m.unload()

    def test_bottleneck_through_the_tail(self):
        head = self.h.load(self.net.head)
        tail = self.h.load(self.net.tail)
        head.set_policy("offload")
        b = head.infer(self.net.inputs)
        self.assertTrue((b.decision == 1).all())
        t = tail.infer(b.output)
        self.assertTrue((t.decision == 2).all())
        np.testing.assert_array_equal(t.class_id, self.net.labels)
        head.unload()
        tail.unload()

    def test_policy(self):
        m = self.h.load(self.net.head)
        m.set_policy("auto", [0.0] * m.info.n_exits)
        info = self.h.describe(m.id)
        self.assertEqual(info.thresholds, [0.0] * m.info.n_exits)
        b = m.infer(self.net.inputs)
        self.assertTrue((b.decision == 0).all())
        self.assertTrue((b.exit_index == 0).all())
        m.set_policy("local")
        self.assertEqual(self.h.describe(m.id).policy_mode, "local")
        b = m.infer(self.net.inputs)
        self.assertFalse((b.decision == 1).any())
        with self.assertRaises(ValueError):
            m.set_policy("auto", [1.5])
        with self.assertRaises(ValueError):
            m.set_policy("sometimes")
        m.set_policy("auto", net_mode="deadline", rttvar_k=2,
                     deadline_us=50000)
        info = self.h.describe(m.id)
        self.assertEqual((info.net_mode, info.rttvar_k, info.deadline_us),
                         ("deadline", 2, 50000))
        with self.assertRaises(spex.SpexError) as cm:
            m.set_policy("auto", net_mode="deadline")  # needs a deadline
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(ValueError):
            m.set_policy("auto", net_mode="psychic")
        m.unload()

    def test_submit_reap(self):
        m = self.h.load(self.net.head)
        want = m.infer(self.net.inputs[:10])
        uds = [self.h.submit(m.id, x, user_data=1000 + i)
               for i, x in enumerate(self.net.inputs[:10])]
        self.assertEqual(uds, list(range(1000, 1010)))
        self.assertEqual(self.h.in_flight, 10)
        got = {}
        while len(got) < 10:
            for r in self.h.reap(max=4):
                got[r.user_data] = r
        self.assertEqual(self.h.in_flight, 0)
        for i in range(10):
            self.assertEqual(got[1000 + i].class_id, want.class_id[i])
        # a batch infer() leaves a submitted job's completion for reap()
        self.h.submit(m.id, self.net.inputs[0], user_data=7)
        m.infer(self.net.inputs[:5])
        r = self.h.reap(max=8, timeout_ms=5000)
        self.assertEqual([x.user_data for x in r], [7])
        st = self.h.stats()
        self.assertEqual(st["submitted"], st["completed"])
        m.unload()

    def test_offload_to_spex_serve(self):
        srv = Server(self.net.tail)
        try:
            m = self.h.load(self.net.head)
            m.set_offload("127.0.0.1", srv.port, deadline_ms=5000)
            m.set_policy("offload")
            b = m.infer(self.net.inputs)
            self.assertTrue((b.origin == 2).all(), b.origin)
            np.testing.assert_array_equal(b.class_id, self.net.labels)
            one = m.infer(self.net.inputs[3])
            self.assertEqual(one.origin, "tail")
            self.assertEqual(one.class_id, self.net.labels[3])
            # no_offload keeps the bottleneck here
            r = m.infer(self.net.inputs[3], no_offload=True)
            self.assertEqual(r.origin, "bottleneck")
            self.assertEqual(len(r.bottleneck), m.info.output_bytes)
            self.assertGreater(self.h.stats()["tail_ok"], 0)
            m.unload()
        finally:
            srv.close()

    def test_offload_fallback_when_the_tail_is_gone(self):
        srv = Server(self.net.tail)
        port = srv.port
        srv.close()
        m = self.h.load(self.net.head)
        m.set_offload("127.0.0.1", port, deadline_ms=2000)
        m.set_policy("offload")
        r = m.infer(self.net.inputs[0])
        self.assertEqual(r.origin, "fallback")
        self.assertTrue(r.flags & 0x4)
        self.assertLess(r.tail_err, 0)
        m.unload()

    def test_refused_model_carries_status_reason_offset(self):
        # On the device other suites' models may be loaded: compare.
        before = self.h.models()
        blob = bytearray(open(self.net.head, "rb").read())
        blob[0] ^= 0xff
        with self.assertRaises(spex.SpexError) as cm:
            self.h.load(bytes(blob))
        e = cm.exception
        self.assertEqual(e.status_name, "SPEX_E_MAGIC")
        self.assertEqual(e.errno, errno.EINVAL)
        self.assertTrue(e.reason)
        self.assertIn("SPEX_E_MAGIC", str(e))
        blob[0] ^= 0xff
        blob[200] ^= 0x01	# inside the file: the CRC catches it
        with self.assertRaises(spex.SpexError) as cm:
            self.h.load(bytes(blob))
        self.assertEqual(cm.exception.status_name, "SPEX_E_CRC")
        self.assertEqual(self.h.models(), before)  # nothing loaded
        with self.assertRaises(FileNotFoundError):
            self.h.load(os.path.join(self.net.dir, "missing.spx"))

    def test_bad_jobs(self):
        m = self.h.load(self.net.head)
        with self.assertRaises(ValueError):
            m.infer(self.net.inputs[0][:-1])
        with self.assertRaises(TypeError):
            m.infer(self.net.inputs[0].astype(np.float32))
        with self.assertRaises(spex.SpexError) as cm:
            self.h.infer(m.id + 1000, self.net.inputs[0])
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        m.unload()
        with self.assertRaises(spex.SpexError):
            self.h.unload(m.id)

    def test_closed_handle(self):
        h = open_handle()
        h.close()
        with self.assertRaises(ValueError):
            h.models()
        h.close()

    def test_bad_backend(self):
        with self.assertRaises(ValueError):
            spex.Spex("gpu")
        if BACKEND == "user":
            with self.assertRaises(spex.SpexError):
                spex.Spex("device", dev_path="/nonexistent/spex")


class Patterns(unittest.TestCase):
    def degrees(self, left, p, n, d_in):
        self.assertEqual(left.shape, (n, d_in))
        for row in left:
            self.assertEqual(len(set(row.tolist())), d_in)
        counts = np.bincount(left.ravel(), minlength=p)
        self.assertTrue((counts == n * d_in // p).all())

    def test_every_type_has_exact_degrees(self):
        for pat, kw in (("random", {"seed": 5}), ("cf1", {"z": 4}),
                        ("cf2", {"z": 4, "starts": "seed", "seed": 3}),
                        ("cf3", {"z": 8, "dither": True, "seed": 9})):
            left = spex.pattern_edges(64, 32, 16, pat, **kw)
            self.degrees(left, 64, 32, 16)
        dense = spex.pattern_edges(10, 3, 10, "dense")
        self.assertEqual(dense.tolist(), [list(range(10))] * 3)

    def test_same_parameters_same_edges(self):
        a = spex.pattern_edges(100, 50, 20, "random", seed=1)
        b = spex.pattern_edges(100, 50, 20, "random", seed=1)
        c = spex.pattern_edges(100, 50, 20, "random", seed=2)
        np.testing.assert_array_equal(a, b)
        self.assertFalse((a == c).all())

    def test_window_of_zero_starts(self):
        left = spex.pattern_edges(12, 6, 4, "cf1", z=3)
        want = [[(r * 4 + m) % 12 for m in range(4)] for r in range(6)]
        self.assertEqual(sorted(map(sorted, left.tolist())),
                         sorted(map(sorted, want)))

    def test_explicit_starts(self):
        need = spex.starts_needed(16, 8, 4, "cf1", z=4)
        self.assertEqual(need, 8 * 4 // 16)
        left = spex.pattern_edges(16, 8, 4, "cf1", z=4, starts=[1, 3])
        self.degrees(left, 16, 8, 4)
        with self.assertRaises(spex.SpexError) as cm:
            spex.pattern_edges(16, 8, 4, "cf1", z=4, starts=[1])
        self.assertEqual(cm.exception.status_name, "SPEX_E_PATTERN")

    def test_refusals_name_the_loaders_status(self):
        cases = ((dict(p=8, n=4, in_degree=3, pattern="cf1", z=2),
                  "SPEX_E_DEGREE"),
                 (dict(p=8, n=4, in_degree=4, pattern="cf1", z=3),
                  "SPEX_E_PATTERN_Z"),
                 (dict(p=12, n=8, in_degree=3, pattern="random", z=2),
                  "SPEX_E_PATTERN"),
                 (dict(p=8, n=4, in_degree=9, pattern="random"),
                  "SPEX_E_DEGREE"))
        for kw, name in cases:
            with self.assertRaises(spex.SpexError) as cm:
                spex.pattern_edges(**kw)
            self.assertEqual(cm.exception.status_name, name, kw)
        with self.assertRaises(ValueError):
            spex.pattern_edges(8, 4, 4, "triangle")

    def test_conv_masks(self):
        self.assertEqual(spex.conv_mask(3, 3, 0, 0), list(range(9)))
        # o=0, s=0, period 5: class 1, the top-right 2x2 block
        self.assertEqual(spex.conv_mask(3, 3, 0, 0, "periodic", 5),
                         [1, 2, 4, 5])
        # class 4 keeps the full kernel
        self.assertEqual(spex.conv_mask(3, 3, 3, 0, "periodic", 5),
                         list(range(9)))
        with self.assertRaises(spex.SpexError) as cm:
            spex.conv_mask(1, 1, 0, 0, "periodic", 3)
        self.assertEqual(cm.exception.status_name, "SPEX_E_PATTERN")


if __name__ == "__main__":
    main()
