# SPDX-License-Identifier: MIT OR GPL-2.0
"""PyTorch layers with spex's predefined sparsity, and split/early-exit
networks (needs torch).

SparseLinear and SparseConv2d take the parameters of a .spx layer
(pattern, in-degree, z, starts, seed, dither; conv: mask and period) and
get their connectivity from libspex's pattern generator
(spex.pattern_edges), the one the loader runs: an exported layer's edges
are the ones trained. SplitNet puts a head, its early exits and a tail
together the way spex.export writes them."""
import math

import torch
from torch import nn
import torch.nn.functional as F

from .pattern import MASKS, PATTERNS, STARTS, conv_mask, pattern_edges


class _Pattern:
    """The .spx pattern parameters of a layer."""

    def _set_pattern(self, pattern, z, seed, starts, dither):
        if pattern not in PATTERNS:
            raise ValueError("pattern must be one of %s" % list(PATTERNS))
        self.pattern, self.z, self.seed = pattern, z, seed
        self.starts, self.dither = starts, bool(dither)

    def pattern_args(self):
        return dict(pattern=self.pattern, z=self.z, seed=self.seed,
                    starts=self.starts, dither=self.dither)

    def pattern_fields(self):
        """(type, starts mode, explicit starts) as the file stores them."""
        if isinstance(self.starts, str):
            return PATTERNS[self.pattern], STARTS[self.starts], []
        return PATTERNS[self.pattern], STARTS["explicit"], list(self.starts)


class SparseLinear(nn.Module, _Pattern):
    """A fixed in-degree linear layer: output r reads the in_degree inputs
    edges[r] (the engine's pattern), with weight[r, m] on edge m. relu
    fuses a ReLU on the output (the .spx layer flag)."""

    def __init__(self, in_features, out_features, in_degree,
                 pattern="random", z=0, seed=0, starts="zero",
                 dither=False, relu=False, bias=True):
        super().__init__()
        self._set_pattern(pattern, z, seed, starts, dither)
        self.in_features, self.out_features = in_features, out_features
        self.in_degree, self.relu = in_degree, relu
        edges = pattern_edges(in_features, out_features, in_degree,
                              **self.pattern_args())
        self.register_buffer("edges", torch.from_numpy(
            edges.astype("int64")))
        bound = 1.0 / math.sqrt(in_degree)
        self.weight = nn.Parameter(torch.empty(out_features, in_degree)
                                   .uniform_(-bound, bound) * math.sqrt(3))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x):
        x = x.flatten(1)
        y = (x[:, self.edges] * self.weight).sum(-1)
        if self.bias is not None:
            y = y + self.bias
        return F.relu(y) if self.relu else y

    def dense_weight(self):
        """The (out, in) matrix with zeros off the pattern."""
        w = torch.zeros(self.out_features, self.in_features,
                        dtype=self.weight.dtype, device=self.weight.device)
        return w.scatter(1, self.edges, self.weight)

    def extra_repr(self):
        return "%d -> %d, in_degree=%d, pattern=%s%s" % (
            self.in_features, self.out_features, self.in_degree,
            self.pattern, ", relu" if self.relu else "")


class SparseConv2d(nn.Module, _Pattern):
    """A conv layer whose output channel o reads in_degree input channels
    (edges[o], the engine's pattern over channels) and, of each, the taps
    the kernel mask keeps (mask "full" or "periodic" with period)."""

    def __init__(self, in_channels, out_channels, kernel_size, in_degree,
                 stride=1, padding=0, pattern="random", z=0, seed=0,
                 starts="zero", dither=False, mask="full", period=0,
                 relu=False, bias=True):
        super().__init__()
        self._set_pattern(pattern, z, seed, starts, dither)
        if mask not in MASKS:
            raise ValueError("mask must be one of %s" % list(MASKS))
        k = kernel_size
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.in_degree = k, in_degree
        self.stride, self.padding, self.relu = stride, padding, relu
        self.mask, self.period = mask, period
        edges = pattern_edges(in_channels, out_channels, in_degree,
                              **self.pattern_args())
        m = torch.zeros(out_channels, in_channels, k, k)
        taps = []
        for o in range(out_channels):
            row = []
            for s in range(in_degree):
                kept = conv_mask(k, k, o, s, mask, period)
                row.append(kept)
                for t in kept:
                    m[o, int(edges[o, s]), t // k, t % k] = 1.0
            taps.append(row)
        self.taps = taps		# [o][s] kept taps, edge order
        self.register_buffer("edges", torch.from_numpy(
            edges.astype("int64")))
        self.register_buffer("weight_mask", m)
        fan = max(int(m[0].sum().item()), 1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels,
                                               k, k) * math.sqrt(2.0 / fan))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def dense_weight(self):
        return self.weight * self.weight_mask

    def forward(self, x):
        y = F.conv2d(x, self.dense_weight(), self.bias, self.stride,
                     self.padding)
        return F.relu(y) if self.relu else y

    def extra_repr(self):
        return "%d -> %d, k=%d, in_degree=%d, pattern=%s, mask=%s%s" % (
            self.in_channels, self.out_channels, self.kernel_size,
            self.in_degree, self.pattern, self.mask,
            ", relu" if self.relu else "")


class EarlyExit(nn.Module):
    """A branch after main-path module `after` of the head (its index in
    the head), exiting when its confidence reaches threshold."""

    def __init__(self, after, branch, threshold=0.9, policy="max-softmax"):
        super().__init__()
        self.after = after
        self.branch = branch if isinstance(branch, nn.Sequential) else \
            nn.Sequential(*branch)
        self.threshold, self.policy = threshold, policy


class SplitNet(nn.Module):
    """A split network: head (nn.Sequential, runs on the edge), its early
    exits (EarlyExit, all within the head), and tail (nn.Sequential, runs
    on the server; the split point is the end of the head). forward()
    returns the logits of every exit, then the tail's."""

    def __init__(self, head, tail, exits=(), input_shape=(1, 28, 28),
                 n_classes=10, input_q=(1.0 / 255, -128)):
        super().__init__()
        self.head = head if isinstance(head, nn.Sequential) else \
            nn.Sequential(*head)
        self.tail = tail if isinstance(tail, nn.Sequential) else \
            nn.Sequential(*tail)
        self.exits = nn.ModuleList(sorted(exits, key=lambda e: e.after))
        for e in self.exits:
            if not 0 <= e.after < len(self.head):
                raise ValueError("exit after module %d: the head has %d" %
                                 (e.after, len(self.head)))
        self.input_shape = tuple(input_shape)
        self.n_classes = n_classes
        self.input_q = input_q

    def forward(self, x):
        outs = []
        by_after = {}
        for e in self.exits:
            by_after.setdefault(e.after, []).append(e)
        for i, m in enumerate(self.head):
            x = m(x)
            for e in by_after.get(i, ()):
                outs.append(e.branch(x))
        outs.append(self.tail(x))
        return outs

    def loss(self, outs, y, exit_weight=1.0):
        """Cross-entropy of the tail plus exit_weight times each exit's."""
        loss = F.cross_entropy(outs[-1], y)
        for o in outs[:-1]:
            loss = loss + exit_weight * F.cross_entropy(o, y)
        return loss
