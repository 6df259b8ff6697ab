# SPDX-License-Identifier: MIT OR GPL-2.0
"""IDX files (MNIST's format: big-endian dimensions, u8 data) as numpy
arrays, for the examples and tests."""
import numpy as np


def read_idx(path):
    """A u8 IDX file (magic 0x0000080N) as an array of its shape."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:3] != b"\0\0\x08":
        raise ValueError("%s: not a u8 IDX file" % path)
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8,
                         offset=4 + 4 * nd).reshape(dims)
