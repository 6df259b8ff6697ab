# SPDX-License-Identifier: MIT OR GPL-2.0
"""The engine against an int8 simulation, answer by answer (numpy only,
no torch): what Int8Split.verify() does, also from a saved record, so
the check runs where torch is too slow to import (the QEMU guest).

  compare(handle, head_blob, tail_blob, xq, sim, labels, thresholds)
  save_record(path, xq, sim, labels, thresholds); load_record(path)
"""
import types

import numpy as np

from .core import DECISION_FINAL, DECISION_OFFLOAD

# What compare() reads of a simulation (Int8Split.simulate()'s result).
SIM_FIELDS = ("decision", "exit_index", "class_id", "confidence_q16",
              "bottleneck", "tail_class", "answer")


def compare(handle, head_blob, tail_blob, xq, sim, labels=None,
            thresholds=None):
    """Run head and tail on the engine behind handle (a spex.Spex) and
    compare every answer with sim: decisions, exits, classes,
    confidences, bottleneck bytes and the tail's classes. thresholds go
    to the engine as the head's policy. Returns a dict of counts
    (mismatches must be 0) and accuracies."""
    head = handle.load(head_blob)
    tail = handle.load(tail_blob)
    try:
        if thresholds is not None:
            head.set_policy("auto", thresholds)
        rows = np.ascontiguousarray(np.asarray(xq, dtype=np.int8)
                                    .reshape(len(xq), -1))
        h = head.infer(rows, no_offload=True)
        t = tail.infer(np.ascontiguousarray(sim.bottleneck))
    finally:
        head.unload()
        tail.unload()
    off = h.decision == DECISION_OFFLOAD
    bad = {
        "res": int((h.res != 0).sum() + (t.res != 0).sum()),
        "decision": int((h.decision != sim.decision).sum()),
        "exit_index": int((h.exit_index != sim.exit_index).sum()),
        "class_id": int((h.class_id != sim.class_id).sum()),
        "confidence": int((h.confidence_q16 != sim.confidence_q16).sum()),
        "bottleneck": int((h.output[off] != sim.bottleneck[off])
                          .any(axis=1).sum()),
        "tail_class": int((t.class_id != sim.tail_class).sum()),
        "tail_decision": int((t.decision != DECISION_FINAL).sum()),
    }
    out = {"n": len(xq), "exits": int((~off).sum()),
           "offloads": int(off.sum()), "mismatches": bad,
           "mismatched": sum(bad.values())}
    if labels is not None:
        labels = np.asarray(labels)
        engine_answer = np.where(off, t.class_id, h.class_id)
        out["engine_accuracy"] = float((engine_answer == labels).mean())
        out["sim_accuracy"] = float((sim.answer == labels).mean())
    return out


def save_record(path, xq, sim, labels=None, thresholds=None):
    """The int8 inputs, the simulation's answers, the labels and the
    thresholds in one .npz, for compare() on another machine."""
    fields = {k: np.asarray(getattr(sim, k)) for k in SIM_FIELDS}
    np.savez(path, xq=np.asarray(xq, dtype=np.int8),
             labels=np.asarray([] if labels is None else labels),
             thresholds=np.asarray([] if thresholds is None else thresholds,
                                   dtype=np.float64),
             **fields)


def load_record(path):
    """save_record()'s file: (xq, sim, labels or None, thresholds or
    None), sim with the attributes compare() reads."""
    with np.load(path) as f:
        sim = types.SimpleNamespace(**{k: f[k] for k in SIM_FIELDS})
        labels = f["labels"] if f["labels"].size else None
        th = list(f["thresholds"]) if f["thresholds"].size else None
        return f["xq"], sim, labels, th
