# SPDX-License-Identifier: MIT OR GPL-2.0
"""The engine's pattern-edge generator and conv kernel masks, through
libspex (spex_pattern_edges(), spex_conv_mask()): the edges a layer's
.spx parameters give are exactly the ones the loader regenerates."""
import numpy as np

from ._lib import ffi, lib
from .core import SpexError

PATTERNS = {"dense": 0, "random": 1, "cf1": 2, "cf2": 3, "cf3": 4}
STARTS = {"zero": 0, "seed": 1, "explicit": 2}
MASKS = {"full": 0, "periodic": 1}


def _spec(pattern, z, seed, starts, dither):
    if pattern not in PATTERNS:
        raise ValueError("pattern must be one of %s" % list(PATTERNS))
    ps = ffi.new("struct spex_pattern_spec *")
    ps.type = PATTERNS[pattern]
    keep = None
    if isinstance(starts, str):
        if starts not in STARTS:
            raise ValueError("starts must be one of %s or a list" %
                             list(STARTS))
        ps.starts = STARTS[starts]
    else:
        vals = [int(v) for v in starts]
        ps.starts = STARTS["explicit"]
        keep = ffi.new("uint32_t[]", vals or [0])
        ps.starts_arr = keep
        ps.n_starts = len(vals)
    ps.dither = 1 if dither else 0
    ps.z = z
    ps.seed = seed
    return ps, keep


def pattern_edges(p, n, in_degree, pattern="random", z=0, seed=0,
                  starts="zero", dither=False):
    """Edges of a junction of p inputs to n outputs, in-degree in_degree:
    an (n, in_degree) uint32 array whose row r lists the inputs output r
    reads, in edge (weight) order. starts: "zero", "seed" or a list of
    explicit start addresses. Raises SpexError with the status the
    loader would give for the same parameters."""
    ps, keep = _spec(pattern, z, seed, starts, dither)
    left = np.zeros((n, in_degree), dtype=np.uint32)
    ret = lib.spex_pattern_edges(ps, p, n, in_degree,
                                 ffi.cast("uint32_t *", left.ctypes.data),
                                 left.size)
    del keep
    if ret < 0:
        raise SpexError(ret, "pattern %s p=%d n=%d d_in=%d" %
                        (pattern, p, n, in_degree))
    return left


def starts_needed(p, n, in_degree, pattern, z=0):
    """How many explicit starts a clash-free pattern needs."""
    ps, _ = _spec(pattern, z, 0, "explicit", False)
    return lib.spex_pattern_starts_needed(ps, p, n, in_degree)


def conv_mask(kh, kw, o, s, mask="full", period=0):
    """Kept taps (ky * kw + kx, ascending) of output channel o's s-th
    input-channel slot, as a list."""
    if mask not in MASKS:
        raise ValueError("mask must be one of %s" % list(MASKS))
    elems = ffi.new("uint8_t[]", max(kh * kw, 1))
    ret = lib.spex_conv_mask(MASKS[mask], period, kh, kw, o, s, elems,
                             max(kh * kw, 1))
    if ret < 0:
        raise SpexError(ret, "conv mask %s %dx%d" % (mask, kh, kw))
    return [elems[i] for i in range(ret)]
