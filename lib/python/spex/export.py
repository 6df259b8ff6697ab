# SPDX-License-Identifier: MIT OR GPL-2.0
"""From a trained spex.nn.SplitNet and a calibration loader to int8
head.spx and tail.spx with one content hash, and the int8 simulation the
engine must match bit for bit (needs torch).

Quantization, as spex-train does it: the input keeps the net's input_q;
each FC/conv output gets an affine int8 scale and zero point from the
calibrated range (zero point -128 with a fused ReLU); weights are
symmetric per output channel, biases s32 in the accumulator's scale, and
each output's multiplier/shift turns s_in * s_w / s_out into integers.
Pools, ReLU and flatten keep their input's scale. The simulation runs
those integers exactly as Documentation/model-format.rst says; verify()
runs the engine on the same inputs and compares every answer."""
import hashlib
import os

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from . import check, spx
from .core import DECISION_EXIT, DECISION_OFFLOAD, Q16
from .nn import SparseConv2d, SparseLinear, SplitNet
from .pattern import MASKS


def _out_shape(m, shape):
    c, h, w = shape
    if isinstance(m, SparseLinear):
        if c * h * w != m.in_features:
            raise ValueError("%s reads %d inputs, gets %s" %
                             (m, m.in_features, shape))
        return (m.out_features, 1, 1)
    if isinstance(m, SparseConv2d):
        if c != m.in_channels:
            raise ValueError("%s reads %d channels, gets %d" %
                             (m, m.in_channels, c))
        k, s, p = m.kernel_size, m.stride, m.padding
        return (m.out_channels, (h + 2 * p - k) // s + 1,
                (w + 2 * p - k) // s + 1)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pool_ks(m)
        return (c, (h - k) // s + 1, (w - k) // s + 1)
    if isinstance(m, (nn.ReLU, nn.Flatten)):
        return (c * h * w, 1, 1) if isinstance(m, nn.Flatten) else shape
    raise TypeError("spex cannot export %s (SparseLinear, SparseConv2d, "
                    "MaxPool2d, AvgPool2d, ReLU, Flatten)" %
                    type(m).__name__)


def _pool_ks(m):
    k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
    s = m.stride if m.stride else k
    s = s if isinstance(s, int) else s[0]
    pad = m.padding if isinstance(m.padding, int) else m.padding[0]
    if pad:
        raise ValueError("spex pools take no padding")
    return k, s


def _affine(lo, hi, relu):
    lo = 0.0 if relu else min(lo, 0.0)
    hi = max(hi, lo + 1e-6)
    scale = spx.f32((hi - lo) / 255.0)
    zp = -128 if relu else int(np.clip(round(-128 - lo / scale), -128, 127))
    return scale, zp


class _Ranges:
    """Min and max of every module's output over the calibration set."""

    def __init__(self, modules):
        self.lo, self.hi = {}, {}
        self.hooks = [m.register_forward_hook(self._hook) for m in modules]

    def _hook(self, m, inp, out):
        k = id(m)
        lo, hi = float(out.min()), float(out.max())
        self.lo[k] = min(lo, self.lo.get(k, lo))
        self.hi[k] = max(hi, self.hi.get(k, hi))

    def close(self):
        for h in self.hooks:
            h.remove()


def _quant_layer(m, in_q, rng):
    """One module as a spx.Layer given its input's (scale, zp)."""
    if isinstance(m, nn.ReLU):
        return spx.Layer("relu", in_q)
    if isinstance(m, nn.Flatten):
        return spx.Layer("flatten", in_q)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pool_ks(m)
        return spx.Layer("maxpool" if isinstance(m, nn.MaxPool2d) else
                         "avgpool", in_q, kh=k, kw=k, stride=s)
    out_q = _affine(rng[0], rng[1], m.relu)
    with torch.no_grad():
        if isinstance(m, SparseLinear):
            rows = [m.weight[o].double().numpy() for o in range(m.out_features)]
        else:
            k = m.kernel_size
            w = m.weight.detach().double().numpy()
            rows = []
            for o in range(m.out_channels):
                r = [w[o, int(m.edges[o, s]), t // k, t % k]
                     for s in range(m.in_degree) for t in m.taps[o][s]]
                rows.append(np.array(r))
        bias = (m.bias.detach().double().numpy() if m.bias is not None
                else np.zeros(len(rows)))
    wq, bq, mult, shift = [], [], [], []
    for o, r in enumerate(rows):
        sw = max(float(np.abs(r).max()), 1e-12) / 127.0
        wq.append(np.clip(np.round(r / sw), -127, 127).astype(np.int8))
        acc_scale = in_q[0] * sw
        bq.append(int(np.clip(round(bias[o] / acc_scale), -2**31, 2**31 - 1)))
        mu, sh = spx.quant_multiplier(acc_scale / out_q[0])
        mult.append(mu)
        shift.append(sh)
    ptype, pstarts, sarr = m.pattern_fields()
    common = dict(out_c=len(rows), in_degree=m.in_degree, pattern=ptype,
                  starts=pstarts, starts_arr=sarr, dither=int(m.dither),
                  z=m.z, seed=m.seed, relu=m.relu,
                  weights=np.concatenate(wq), bias=np.array(bq),
                  mult=np.array(mult), shift=np.array(shift))
    if isinstance(m, SparseLinear):
        return spx.Layer("fc", out_q, **common)
    return spx.Layer("conv2d", out_q, kh=m.kernel_size, kw=m.kernel_size,
                     stride=m.stride, pad=m.padding,
                     mask_type=MASKS[m.mask], mask_period=m.period, **common)


class _SimLayer:
    """A spx.Layer with the dense integer weights the simulation uses."""

    def __init__(self, ly, mod, in_q):
        self.ly, self.in_zp = ly, in_q[1]
        if ly.kind == "fc":
            w = np.zeros((mod.out_features, mod.in_features))
            e = mod.edges.numpy()
            w[np.arange(mod.out_features)[:, None], e] = \
                ly.weights.reshape(mod.out_features, mod.in_degree)
            self.w = torch.from_numpy(w)
        elif ly.kind == "conv2d":
            k = mod.kernel_size
            w = np.zeros((mod.out_channels, mod.in_channels, k, k))
            i = 0
            for o in range(mod.out_channels):
                for s in range(mod.in_degree):
                    for t in mod.taps[o][s]:
                        w[o, int(mod.edges[o, s]), t // k, t % k] = \
                            ly.weights[i]
                        i += 1
            self.w = torch.from_numpy(w)

    def _requant(self, acc):
        ly = self.ly
        shape = (1, -1) + (1,) * (acc.ndim - 2)
        acc = np.rint(acc).astype(np.int64) + \
            ly.bias.astype(np.int64).reshape(shape)
        mult = ly.mult.astype(np.int64).reshape(shape)
        shift = ly.shift.astype(np.int64).reshape(shape)
        v = (acc * mult + (np.int64(1) << (shift - 1))) >> shift
        lo = ly.out_q[1] if ly.relu else -128
        return np.clip(ly.out_q[1] + v, lo, 127)

    def __call__(self, x):
        """x: int64 array (N, C, H, W) or (N, K) -> the layer's output."""
        ly = self.ly
        if ly.kind == "fc":
            xs = torch.from_numpy((x.reshape(len(x), -1) - self.in_zp)
                                  .astype(np.float64))
            return self._requant((xs @ self.w.T).numpy())
        if ly.kind == "conv2d":
            xs = torch.from_numpy((x - self.in_zp).astype(np.float64))
            acc = F.conv2d(xs, self.w, None, ly.stride, ly.pad)
            return self._requant(acc.numpy())
        if ly.kind == "maxpool":
            return F.max_pool2d(torch.from_numpy(x.astype(np.float64)),
                                ly.kh, ly.stride).numpy().astype(np.int64)
        if ly.kind == "avgpool":
            n = ly.kh * ly.kh
            s = F.avg_pool2d(torch.from_numpy(x.astype(np.float64)), ly.kh,
                             ly.stride).numpy() * n
            s = np.rint(s).astype(np.int64)
            return np.sign(s) * ((np.abs(s) + n // 2) // n)
        if ly.kind == "relu":
            return np.maximum(x, ly.out_q[1])
        return x.reshape(len(x), -1)


def _policy(logits, lut):
    """max-softmax of int8 logits (N, n): class (first argmax), Q16."""
    q = logits.reshape(len(logits), -1)
    cls = q.argmax(axis=1)
    gap = q.max(axis=1, keepdims=True) - q
    s = lut[gap].astype(np.uint64).sum(axis=1)
    conf = (np.uint64(Q16) << np.uint64(16)) // s
    if q.shape[1] == 1:
        conf[:] = Q16
    return cls, conf.astype(np.int64)


def _as_shape(x, shape):
    return x.reshape((len(x),) + tuple(shape)) if len(shape) == 3 and \
        shape[1:] != (1, 1) else x.reshape(len(x), -1)


class SimResult:
    """The int8 simulation's answers for a batch, as numpy arrays."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class Int8Split:
    """The exported head and tail: blobs, their content hash, and the int8
    simulation of both."""

    def __init__(self, net, ranges, name):
        self.net, self.name = net, name
        shape = net.input_shape
        self.in_q = (spx.f32(net.input_q[0]), int(net.input_q[1]))
        q = self.in_q
        self.head_layers, self.head_sim, self.head_shapes = [], [], []
        branch_at = {}
        for i, m in enumerate(net.head):
            ly = _quant_layer(m, q, ranges.get(id(m)))
            self.head_sim.append(_SimLayer(ly, m, q))
            self.head_layers.append(ly)
            q = ly.out_q
            shape = _out_shape(m, shape)
            self.head_shapes.append(shape)
            branch_at[i] = (q, shape)
        self.bottleneck_q, self.bottleneck_shape = q, shape
        n_main = len(self.head_layers)
        self.exits, self.exit_sims = [], []
        for e in net.exits:
            bq, bshape = branch_at[e.after]
            first = len(self.head_layers)
            sims = []
            for m in e.branch:
                ly = _quant_layer(m, bq, ranges.get(id(m)))
                sims.append(_SimLayer(ly, m, bq))
                self.head_layers.append(ly)
                bq = ly.out_q
                bshape = _out_shape(m, bshape)
            if bshape[0] * bshape[1] * bshape[2] != net.n_classes:
                raise ValueError("exit after %d gives %s, want %d classes" %
                                 (e.after, bshape, net.n_classes))
            self.exits.append(spx.Exit(e.after, first, len(e.branch),
                                       int(round(e.threshold * Q16)),
                                       bq[0], e.policy))
            self.exit_sims.append(sims)
        self.n_main = n_main
        q, shape = self.bottleneck_q, self.bottleneck_shape
        self.tail_layers, self.tail_sim = [], []
        for m in net.tail:
            ly = _quant_layer(m, q, ranges.get(id(m)))
            self.tail_sim.append(_SimLayer(ly, m, q))
            self.tail_layers.append(ly)
            q = ly.out_q
            shape = _out_shape(m, shape)
        if shape[0] * shape[1] * shape[2] != net.n_classes:
            raise ValueError("the tail gives %s, want %d classes" %
                             (shape, net.n_classes))
        self.final_scale = q[0]
        self.exit_luts = [spx.exp_lut(x.logit_scale) for x in self.exits]
        self.final_lut = spx.exp_lut(self.final_scale)
        self.hash = bytes(32)
        self.hash = hashlib.sha256(self._head(bytes(32)) +
                                   self._tail(bytes(32))).digest()
        self.head_blob = self._head(self.hash)
        self.tail_blob = self._tail(self.hash)

    def _head(self, h):
        return spx.write(self.name, h, "head", self.net.input_shape,
                         self.net.n_classes, self.in_q, self.head_layers,
                         self.n_main, self.exits)

    def _tail(self, h):
        return spx.write(self.name, h, "tail", self.bottleneck_shape,
                         self.net.n_classes, self.bottleneck_q,
                         self.tail_layers, len(self.tail_layers),
                         final_logit_scale=self.final_scale)

    def save(self, out_dir):
        """Write head.spx and tail.spx; returns their paths."""
        os.makedirs(out_dir, exist_ok=True)
        paths = []
        for n, b in (("head.spx", self.head_blob),
                     ("tail.spx", self.tail_blob)):
            p = os.path.join(out_dir, n)
            with open(p, "wb") as f:
                f.write(b)
            paths.append(p)
        return paths

    def quantize_input(self, x):
        """Float inputs (as the net saw them) to the head's int8 tensor."""
        x = torch.as_tensor(x, dtype=torch.float64)
        q = torch.round(x / self.in_q[0]) + self.in_q[1]
        return q.clamp(-128, 127).to(torch.int8).numpy()

    def simulate(self, xq, thresholds=None):
        """The head then (for OFFLOAD) the tail on int8 inputs (N, ...):
        decision, exit_index, class_id, confidence_q16 of the head (as the
        engine reports them), every exit's class and confidence
        (exit_class, exit_confidence_q16: exits x N), the bottleneck, and
        the tail's class_id and confidence_q16 for every input's
        bottleneck. thresholds (one per exit, in [0, 1]) stand for the
        file's, as a policy set on the engine does."""
        th = [x.threshold_q16 for x in self.exits] if thresholds is None \
            else [int(round(t * Q16)) for t in thresholds]
        n = len(xq)
        x = _as_shape(np.asarray(xq).astype(np.int64), self.net.input_shape)
        by_after = {}
        for j, e in enumerate(self.exits):
            by_after.setdefault(e.after_layer, []).append(j)
        exit_cls = np.zeros((len(self.exits), n), dtype=np.int64)
        exit_conf = np.zeros((len(self.exits), n), dtype=np.int64)
        for i, layer in enumerate(self.head_sim):
            x = layer(x)
            for j in by_after.get(i, ()):
                b = x
                for bl in self.exit_sims[j]:
                    b = bl(b)
                exit_cls[j], exit_conf[j] = _policy(b, self.exit_luts[j])
        decision = np.full(n, DECISION_OFFLOAD)
        exit_index = np.full(n, len(self.exits) - 1)
        cls = exit_cls[-1].copy() if self.exits else np.zeros(n, np.int64)
        conf = exit_conf[-1].copy() if self.exits else np.zeros(n, np.int64)
        for j in reversed(range(len(self.exits))):
            take = exit_conf[j] >= th[j]
            decision[take] = DECISION_EXIT
            exit_index[take] = j
            cls[take], conf[take] = exit_cls[j][take], exit_conf[j][take]
        bottleneck = x.reshape(n, -1).astype(np.int8)
        t = _as_shape(bottleneck.astype(np.int64), self.bottleneck_shape)
        for layer in self.tail_sim:
            t = layer(t)
        tail_cls, tail_conf = _policy(t, self.final_lut)
        return SimResult(decision=decision, exit_index=exit_index,
                         class_id=cls, confidence_q16=conf,
                         exit_class=exit_cls, exit_confidence_q16=exit_conf,
                         bottleneck=bottleneck, tail_class=tail_cls,
                         tail_confidence_q16=tail_conf,
                         answer=np.where(decision == DECISION_EXIT, cls,
                                         tail_cls))

    def verify(self, handle, xq, labels=None, thresholds=None):
        """Run head and tail on the engine behind handle (a spex.Spex) and
        compare every answer with simulate() (spex.check.compare())."""
        return check.compare(handle, self.head_blob, self.tail_blob, xq,
                             self.simulate(xq, thresholds), labels,
                             thresholds)


def export(net, calib, name="spex", max_batches=None):
    """Calibrate net (a SplitNet) on calib (an iterable of inputs or
    (inputs, labels) batches, as the net takes them) and quantize it;
    returns an Int8Split (blobs, hash, simulate(), verify(), save())."""
    if not isinstance(net, SplitNet):
        raise TypeError("export() takes a spex.nn.SplitNet")
    mods = list(net.head) + [m for e in net.exits for m in e.branch] + \
        list(net.tail)
    ranges = _Ranges(mods)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            for i, b in enumerate(calib):
                if max_batches is not None and i >= max_batches:
                    break
                net(b[0] if isinstance(b, (tuple, list)) else b)
    finally:
        ranges.close()
        net.train(was_training)
    if not ranges.lo:
        raise ValueError("the calibration loader gave no batch")
    rng = {k: (ranges.lo[k], ranges.hi[k]) for k in ranges.lo}
    return Int8Split(net, _RangeMap(rng), name)


class _RangeMap(dict):
    def get(self, k, default=None):
        return super().get(k, (0.0, 1.0))
