# SPDX-License-Identifier: MIT OR GPL-2.0
"""A .spx writer in Python, following Documentation/model-format.rst
field for field (the C writer is core/spx_write.c; neither validates: the
loader is the judge, so write, then load). Numbers only, no torch."""
import math
import struct
import zlib

import numpy as np

MAGIC = 0x31585053
ALIGN = 16
SEC_META, SEC_LAYERS, SEC_EXITS, SEC_DATA = 1, 2, 3, 4
LAYER_TYPES = {"fc": 1, "conv2d": 2, "maxpool": 3, "avgpool": 4, "relu": 5,
               "flatten": 6}
ROLES = {"full": 0, "head": 1, "tail": 2}
POLICIES = {"max-softmax": 0, "entropy": 1, "margin": 2}
LF_RELU = 0x1
LUT_LEN = 256


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f32(x):
    """x rounded to binary32, as the file stores a scale."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def scale_q16(scale):
    v = math.floor(f32(scale) * 65536.0 + 0.5)
    return max(int(v), 1)


def exp_lut(scale):
    """lut[d] = round(65536 exp(-scale d)), lut[0] = 65536 (as C does)."""
    s = f32(scale)
    lut = [int(math.floor(65536.0 * math.exp(-s * d) + 0.5))
           for d in range(LUT_LEN)]
    lut[0] = 65536
    return np.array(lut, dtype=np.uint32)


def quant_multiplier(real):
    """real ~= mult * 2^-shift, mult in [2^30, 2^31), shift in [1, 62]."""
    if not real > 0:
        return 0, 1
    m, e = math.frexp(real)
    q = int(round(m * (1 << 31)))
    if q == 1 << 31:
        q //= 2
        e += 1
    shift = 31 - e
    if shift > 62:
        q >>= shift - 62
        shift = 62
    if shift < 1:
        q, shift = (1 << 31) - 1, 1
    return q, shift


class Layer:
    """One layer record. kind is a LAYER_TYPES key; FC/conv carry edges
    (pattern parameters), int8 weights in edge order, s32 bias, per-output
    mult/shift and out_q; other layers repeat their input's out_q."""

    def __init__(self, kind, out_q, out_c=0, kh=0, kw=0, stride=0, pad=0,
                 in_degree=0, pattern=0, starts=0, dither=0, z=0, seed=0,
                 starts_arr=(), mask_type=0, mask_period=0, relu=False,
                 weights=None, bias=None, mult=None, shift=None):
        self.kind = kind
        self.out_q = out_q		# (scale, zero_point)
        self.out_c, self.kh, self.kw = out_c, kh, kw
        self.stride, self.pad, self.in_degree = stride, pad, in_degree
        self.pattern, self.starts, self.dither = pattern, starts, dither
        self.z, self.seed, self.starts_arr = z, seed, list(starts_arr)
        self.mask_type, self.mask_period = mask_type, mask_period
        self.relu = relu
        self.weights, self.bias = weights, bias
        self.mult, self.shift = mult, shift


class Exit:
    def __init__(self, after_layer, first_layer, n_layers, threshold_q16,
                 logit_scale, policy="max-softmax"):
        self.after_layer, self.first_layer = after_layer, first_layer
        self.n_layers, self.threshold_q16 = n_layers, threshold_q16
        self.logit_scale, self.policy = logit_scale, policy


class _Data:
    def __init__(self):
        self.buf = bytearray()

    def put(self, b):
        self.buf += bytes(-len(self.buf) % ALIGN)
        at = len(self.buf)
        self.buf += b
        return at


def write(name, content_hash, role, in_shape, n_classes, in_q, layers,
          n_main, exits=(), final_logit_scale=0.0):
    """Serialize an int8 model; returns the blob (bytes)."""
    data = _Data()
    recs = []
    for ly in layers:
        w_off = w_size = b_off = r_off = st_off = 0
        if ly.kind in ("fc", "conv2d"):
            w = np.ascontiguousarray(ly.weights, dtype=np.int8).tobytes()
            w_off, w_size = data.put(w), len(w)
            b_off = data.put(np.asarray(ly.bias, dtype="<i4").tobytes())
            rq = np.stack([np.asarray(ly.mult, dtype="<i4"),
                           np.asarray(ly.shift, dtype="<i4")], axis=1)
            r_off = data.put(rq.astype("<i4").tobytes())
            if ly.starts == 2:
                st_off = data.put(np.asarray(ly.starts_arr,
                                             dtype="<u4").tobytes())
        recs.append(struct.pack(
            "<HHIBBBBI" "BBBBIII" "BBH" "Ii" "IIII" "20x",
            LAYER_TYPES[ly.kind], LF_RELU if ly.relu else 0, ly.out_c,
            ly.kh, ly.kw, ly.stride, ly.pad, ly.in_degree,
            ly.pattern, ly.starts, ly.dither, 0, ly.z, ly.seed, st_off,
            ly.mask_type, ly.mask_period, 0,
            f32_bits(ly.out_q[0]), int(ly.out_q[1]),
            w_off, w_size, b_off, r_off))
    exit_recs = []
    for x in exits:
        lut_off = data.put(exp_lut(x.logit_scale).astype("<u4").tobytes())
        exit_recs.append(struct.pack(
            "<7I20x", x.after_layer, x.first_layer, x.n_layers,
            POLICIES[x.policy], x.threshold_q16, lut_off,
            scale_q16(x.logit_scale)))
    final_lut = final_q16 = 0
    if role != "head":
        final_lut = data.put(exp_lut(final_logit_scale).astype("<u4")
                             .tobytes())
        final_q16 = scale_q16(final_logit_scale)
    nm = name.encode()[:31]
    meta = struct.pack("<32s32s9I" "Ii" "II" "36x", nm, bytes(content_hash),
                       ROLES[role], 0, in_shape[0], in_shape[1],
                       in_shape[2], n_classes, len(layers), n_main,
                       len(exits), f32_bits(in_q[0]), int(in_q[1]),
                       final_lut, final_q16)
    sections = [(SEC_META, meta), (SEC_LAYERS, b"".join(recs)),
                (SEC_DATA, bytes(data.buf))]
    if exit_recs:
        sections.append((SEC_EXITS, b"".join(exit_recs)))
    table_off = 64
    at = table_off + 16 * len(sections)
    table, body = b"", b""
    for typ, b in sections:
        at += -at % ALIGN
        body += bytes(-(table_off + 16 * len(sections) + len(body)) % ALIGN)
        table += struct.pack("<4I", typ, at, len(b), 0)
        body += b
        at += len(b)
    size = table_off + len(table) + len(body)
    hdr = struct.pack("<IHHIIIIII32x", MAGIC, 1, 0, 64, size, len(sections),
                      table_off, 0, 0)
    blob = bytearray(hdr + table + body)
    crc = zlib.crc32(bytes(blob)) & 0xffffffff
    struct.pack_into("<I", blob, 28, crc)
    return bytes(blob)
