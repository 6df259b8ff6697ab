# SPDX-License-Identifier: MIT OR GPL-2.0
"""What the Python tests share: the package on sys.path, the backend
under test ($SPEX_TEST_BACKEND, default user; $SPEX_TEST_NO_URING), the
test split network from build/lib/tests/mksplit, spex-serve as a child,
and a unittest runner that ends with "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(REPO, BUILD)
sys.path.insert(0, os.path.join(REPO, "lib", "python"))

import numpy as np  # noqa: E402

import spex  # noqa: E402
from spex.idx import read_idx  # noqa: E402

BACKEND = os.environ.get("SPEX_TEST_BACKEND", "user")
NO_URING = bool(os.environ.get("SPEX_TEST_NO_URING"))


def open_handle(**kw):
    return spex.Spex(BACKEND, no_uring=NO_URING, **kw)


class SplitNet:
    """mksplit's head/tail/full models, N inputs and the full model's
    answers, in a temporary directory."""

    def __init__(self, n=64):
        self.tmp = tempfile.TemporaryDirectory(prefix="spex-py-")
        self.dir = self.tmp.name
        subprocess.run([os.path.join(BUILD, "lib", "tests", "mksplit"),
                        self.dir, str(n)], check=True)
        self.head = os.path.join(self.dir, "head.spx")
        self.tail = os.path.join(self.dir, "tail.spx")
        self.full = os.path.join(self.dir, "full.spx")
        raw = np.fromfile(os.path.join(self.dir, "inputs.raw"),
                          dtype=np.int8)
        self.inputs = raw.reshape(n, -1)
        self.labels = read_idx(os.path.join(self.dir, "labels.idx"))

    def close(self):
        self.tmp.cleanup()


class Server:
    """spex-serve on 127.0.0.1 with an ephemeral port."""

    def __init__(self, tail):
        serve = os.environ.get("SPEX_SERVE",
                               os.path.join(BUILD, "rel", "bin",
                                            "spex-serve"))
        self.tmp = tempfile.TemporaryDirectory(prefix="spex-serve-")
        pf = os.path.join(self.tmp.name, "port")
        self.proc = subprocess.Popen([serve, "-q", "-l", "127.0.0.1",
                                      "-p", "0", "--port-file", pf, tail])
        for _ in range(500):
            if os.path.exists(pf) and open(pf).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("spex-serve exited %d" %
                                   self.proc.returncode)
            time.sleep(0.02)
        self.port = int(open(pf).read())

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.tmp.cleanup()


def main():
    """Run the calling module's tests; print TAP-ish lines and the total."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules["__main__"])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(
        suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
