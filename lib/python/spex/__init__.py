# SPDX-License-Identifier: MIT OR GPL-2.0
"""spex for Python: run split/early-exit models through libspex, on
/dev/spex or the userspace engine (spex.Spex), and ask the engine's own
pattern generator for a sparse layer's edges (spex.pattern). The PyTorch
front end is spex.nn (layers, split networks) and spex.export (int8
head.spx/tail.spx and the int8 simulation); they need torch, the rest
only numpy and cffi."""
from .core import (DECISIONS, ORIGINS, STATUS_NAMES, LayerInfo, Model,
                   ModelInfo, Result, Results, Spex, SpexError, strerror)
from ._lib import library_path
from .pattern import conv_mask, pattern_edges, starts_needed

__all__ = ["DECISIONS", "ORIGINS", "STATUS_NAMES", "LayerInfo", "Model",
           "ModelInfo", "Result", "Results", "Spex", "SpexError",
           "strerror", "library_path", "conv_mask", "pattern_edges",
           "starts_needed"]
