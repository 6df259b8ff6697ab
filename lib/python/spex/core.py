# SPDX-License-Identifier: MIT OR GPL-2.0
"""The libspex handle in Python: backends, models, jobs, offload, policy,
and errors as exceptions that carry the spex status and its reason."""
import errno as _errno
import os
import struct

import numpy as np

from ._lib import ffi, lib

# enum spex_status (include/uapi/linux/spex.h), in order.
STATUS_NAMES = (
    "SPEX_OK", "SPEX_E_TRUNCATED", "SPEX_E_MAGIC", "SPEX_E_VERSION",
    "SPEX_E_CRC", "SPEX_E_HEADER", "SPEX_E_SECTION", "SPEX_E_META",
    "SPEX_E_LAYER", "SPEX_E_SHAPE", "SPEX_E_OVERFLOW", "SPEX_E_RANGE",
    "SPEX_E_PATTERN", "SPEX_E_PATTERN_Z", "SPEX_E_PATTERN_DIN",
    "SPEX_E_DEGREE", "SPEX_E_DUP_EDGE", "SPEX_E_QUANT", "SPEX_E_EXIT",
    "SPEX_E_SPLIT", "SPEX_E_BUDGET", "SPEX_E_DTYPE", "SPEX_E_NOMEM",
    "SPEX_E_INPUT", "SPEX_E_OUTPUT", "SPEX_E_LIMIT", "SPEX_E_POLICY",
)
STATUS_BASE = -4096		# SPEX_STATUS_ERR(0)

BACKENDS = {"auto": 0, "device": 1, "user": 2}
OPEN_NO_URING, OPEN_SCALAR = 0x1, 0x2
REQ_SCALAR, REQ_NO_OFFLOAD, REQ_BOTTLENECK = 0x1, 0x2, 0x4
LOAD_ATOMIC = 0x1

DECISIONS = ("exit", "offload", "final")
DECISION_EXIT, DECISION_OFFLOAD, DECISION_FINAL = 0, 1, 2
ORIGINS = ("error", "local", "tail", "fallback", "bottleneck")
MODES = {"auto": 0, "local": 1, "offload": 2}
NET_MODES = {"confidence": 0, "deadline": 1, "adaptive": 2}
ROLES = ("full", "head", "tail")
DTYPES = ("int8", "f32")
NO_EXIT = 0xffffffff
RF_FORCED, RF_LOW_CONF, RF_FALLBACK = 0x1, 0x2, 0x4
Q16 = 65536


def strerror(err):
    """libspex's message for a negative errno or a SPEX_STATUS_ERR()."""
    return ffi.string(lib.spex_strerror(err)).decode()


class SpexError(OSError):
    """A libspex call failed.

    errno is the positive errno; status the enum spex_status (an int, or
    None when the failure carries none) and status_name its name; reason
    the engine's sentence (for a refused model, what broke and where);
    offset the byte of the blob that broke a rule, where it applies.
    """

    def __init__(self, err, what, status=None, reason=None, offset=None):
        if err <= STATUS_BASE:
            status = STATUS_BASE - err
            err = -_errno.EINVAL
        self.status = status
        self.status_name = (STATUS_NAMES[status]
                            if status is not None and
                            0 <= status < len(STATUS_NAMES) else None)
        self.reason = reason or (strerror(STATUS_BASE - status)
                                 if status else strerror(err))
        self.offset = offset
        msg = what + ": " + self.reason
        if self.status_name:
            msg += " [" + self.status_name + "]"
        if offset is not None:
            msg += " at byte %d" % offset
        super().__init__(-err, msg)


def _check(ret, what):
    if ret < 0:
        raise SpexError(ret, what)
    return ret


def _q16(x):
    """A confidence in [0, 1] as Q16."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("threshold %r is not in [0, 1]" % (x,))
    return int(round(x * Q16))


def _qparam(q):
    scale = struct.unpack("<f", struct.pack("<I", q.scale_bits))[0]
    zp = q.zero_point - (1 << 32) if q.zero_point >= 1 << 31 else q.zero_point
    return scale, zp


class LayerInfo:
    """One layer as MODEL_INFO describes it (struct spex_layer_desc)."""
    FIELDS = ("type", "branch", "in_c", "in_h", "in_w", "out_c", "out_h",
              "out_w", "fan_in", "in_degree", "density_ppm", "pattern", "z",
              "layout", "weights", "macs", "dense_macs")

    def __init__(self, d):
        for f in self.FIELDS:
            setattr(self, f, getattr(d, f))

    def __repr__(self):
        return "LayerInfo(%s)" % ", ".join(
            "%s=%d" % (f, getattr(self, f)) for f in self.FIELDS)


class ModelInfo:
    """What a loaded model is (struct spex_model_desc), with its layers,
    the policy in force and its statistics."""

    def __init__(self, d, layers):
        self.model_id = d.model_id
        self.name = ffi.string(d.name).decode(errors="replace")
        self.hash = bytes(ffi.buffer(d.hash))
        self.role = ROLES[d.role] if d.role < len(ROLES) else d.role
        self.dtype = DTYPES[d.dtype] if d.dtype < len(DTYPES) else d.dtype
        self.input_shape = (d.in_c, d.in_h, d.in_w)
        self.output_shape = (d.out_c, d.out_h, d.out_w)
        for f in ("n_classes", "n_main", "n_exits", "input_bytes",
                  "output_bytes", "weights", "dense_weights", "macs",
                  "dense_macs", "file_bytes", "dense_file_bytes",
                  "mem_bytes", "scratch_bytes", "jobs", "exits",
                  "offloads", "errors", "total_ns", "n_layers"):
            setattr(self, f, getattr(d, f))
        self.input_q = _qparam(d.input_q)
        self.output_q = _qparam(d.output_q)
        mode = [k for k, v in MODES.items() if v == d.policy.mode]
        self.policy_mode = mode[0] if mode else d.policy.mode
        net = [k for k, v in NET_MODES.items() if v == d.policy.net_mode]
        self.net_mode = net[0] if net else d.policy.net_mode
        self.rttvar_k = d.policy.rttvar_k
        self.deadline_us = d.policy.deadline_us
        self.thresholds = [d.policy.threshold_q16[i] / Q16
                           for i in range(d.policy.n_thresholds)]
        self.layers = layers
        self.np_dtype = np.int8 if d.dtype == 0 else np.float32

    def __repr__(self):
        return ("ModelInfo(id=%d, name=%r, role=%s, input=%s, output=%s, "
                "exits=%d)" % (self.model_id, self.name, self.role,
                               self.input_shape, self.output_shape,
                               self.n_exits))


class Result:
    """One job's answer (struct spex_completion)."""

    def __init__(self, c, output):
        r = c.result
        self.user_data = c.user_data
        self.res = c.res
        self.origin = ORIGINS[c.origin] if c.origin < len(ORIGINS) else c.origin
        self.tail_err = c.tail_err
        self.tail_ns = c.tail_ns
        self.decision = DECISIONS[r.decision] if r.decision < 3 else r.decision
        self.exit_index = None if r.exit_index == NO_EXIT else r.exit_index
        self.class_id = r.class_id
        self.confidence = r.confidence_q16 / Q16
        self.confidence_q16 = r.confidence_q16
        self.flags = r.flags
        self.status = r.status
        self.layers_run = r.layers_run
        self.macs = r.macs
        self.ns = r.ns
        # The bottleneck on OFFLOAD (origin "bottleneck"), the logits on
        # FINAL; None when nothing was written.
        self.output = None
        if c.res == 0 and output is not None:
            if r.decision == DECISION_FINAL:
                self.output = output.copy()
            elif r.decision == DECISION_OFFLOAD and r.bottleneck_len:
                self.output = output[:r.bottleneck_len //
                                     output.itemsize].copy()

    @property
    def bottleneck(self):
        return self.output if self.decision == "offload" else None

    def __repr__(self):
        return ("Result(decision=%s, class_id=%d, confidence=%.4f, "
                "exit=%s, origin=%s)" % (self.decision, self.class_id,
                                         self.confidence, self.exit_index,
                                         self.origin))


class Results:
    """A batch's answers as numpy arrays, in input order."""

    def __init__(self, comps, outputs):
        n = len(comps)
        self.res = np.array([c.res for c in comps], dtype=np.int32)
        self.decision = np.array([c.result.decision for c in comps],
                                 dtype=np.uint8)
        self.class_id = np.array([c.result.class_id for c in comps],
                                 dtype=np.int64)
        self.confidence_q16 = np.array([c.result.confidence_q16
                                        for c in comps], dtype=np.uint32)
        self.confidence = self.confidence_q16 / Q16
        ex = np.array([c.result.exit_index for c in comps], dtype=np.int64)
        ex[ex == NO_EXIT] = -1
        self.exit_index = ex
        self.flags = np.array([c.result.flags for c in comps], dtype=np.uint32)
        self.origin = np.array([c.origin for c in comps], dtype=np.uint8)
        self.status = np.array([c.result.status for c in comps],
                               dtype=np.uint32)
        # The bottleneck (OFFLOAD) or logits (FINAL) of each job, by row.
        self.output = outputs
        self.n = n

    def __len__(self):
        return self.n

    @property
    def bottleneck(self):
        """Rows of the jobs that decided OFFLOAD (others are zero)."""
        b = self.output.copy()
        b[self.decision != DECISION_OFFLOAD] = 0
        return b


class Model:
    """A model loaded on a handle; unload() or the handle's close ends it."""

    def __init__(self, handle, model_id):
        self.handle = handle
        self.id = model_id
        self.info = handle.describe(model_id)

    def infer(self, x, **kw):
        return self.handle.infer(self.id, x, **kw)

    def set_policy(self, mode="auto", thresholds=None, **net):
        self.handle.set_policy(self.id, mode, thresholds, **net)

    def set_offload(self, host, port=0, deadline_ms=0, max_conns=0):
        self.handle.set_offload(self.id, host, port, deadline_ms, max_conns)

    def unload(self):
        self.handle.unload(self.id)

    def __repr__(self):
        return "Model(%d, %r)" % (self.id, self.info.name)


class Spex:
    """A libspex handle: one backend ("auto", "device" or "user") and its
    queue of jobs. Not for two threads at once (like the C handle)."""

    def __init__(self, backend="auto", dev_path=None, queue_depth=0,
                 scalar=False, no_uring=False):
        if backend not in BACKENDS:
            raise ValueError("backend must be one of %s" % list(BACKENDS))
        opts = ffi.new("struct spex_open_opts *")
        opts.backend = BACKENDS[backend]
        opts.flags = (OPEN_SCALAR if scalar else 0) | \
            (OPEN_NO_URING if no_uring else 0)
        self._path = ffi.new("char[]", os.fsencode(dev_path)) \
            if dev_path else ffi.NULL
        opts.dev_path = self._path
        opts.queue_depth = queue_depth
        hp = ffi.new("struct spex **")
        _check(lib.spex_open(opts, hp), "spex_open(%s)" % backend)
        self._h = hp[0]
        self._pending = {}	# user_data -> (input, output) kept alive
        self._next_ud = 1
        self._descs = {}
        self._early = []	# submit()'s completions reaped by infer()

    # -- the handle -------------------------------------------------------
    def close(self):
        if self._h is not None:
            lib.spex_close(self._h)
            self._h = None
            self._pending.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if self._h is None:
            raise ValueError("the spex handle is closed")
        return self._h

    @property
    def backend(self):
        b = lib.spex_backend_of(self._handle())
        return ffi.string(lib.spex_backend_name(b)).decode()

    @property
    def uses_uring_cmd(self):
        return bool(lib.spex_uses_uring_cmd(self._handle()))

    def info(self):
        i = ffi.new("struct spex_info *")
        _check(lib.spex_get_info(self._handle(), i), "spex_get_info")
        return {"abi_version": i.abi_version, "features": i.features,
                "max_model_bytes": i.max_model_bytes,
                "max_models": i.max_models,
                "max_jobs_per_file": i.max_jobs_per_file,
                "max_input_bytes": i.max_input_bytes,
                "n_models": i.n_models,
                "kernels": ffi.string(i.kernels).decode()}

    def stats(self):
        s = ffi.new("struct spex_handle_stats *")
        _check(lib.spex_get_stats(self._handle(), s), "spex_get_stats")
        return {f: getattr(s, f) for f in (
            "submitted", "completed", "errors", "exits", "finals",
            "offloads", "tail_ok", "fallbacks", "conns_opened",
            "conn_reuses", "retries")}

    @property
    def in_flight(self):
        return lib.spex_in_flight(self._handle())

    # -- models -----------------------------------------------------------
    def load(self, model, atomic=False):
        """Load a .spx (a path, or the blob as bytes); returns a Model.
        A refused model raises SpexError with the loader's status, reason
        and byte offset."""
        if isinstance(model, (bytes, bytearray, memoryview)):
            blob, what = bytes(model), "load blob"
        else:
            with open(model, "rb") as f:
                blob = f.read()
            what = "load %s" % os.fspath(model)
        mid = ffi.new("uint32_t *")
        err = ffi.new("struct spex_load_error *")
        ret = lib.spex_load_blob_flags(self._handle(), blob, len(blob),
                                       LOAD_ATOMIC if atomic else 0, mid, err)
        if ret < 0:
            status = err.status or None
            reason = ffi.string(err.msg).decode(errors="replace") or None
            raise SpexError(ret, what, status, reason,
                            err.offset if status else None)
        return Model(self, mid[0])

    def unload(self, model_id):
        _check(lib.spex_unload_model(self._handle(), int(model_id)),
               "unload model %d" % model_id)
        self._descs.pop(model_id, None)

    def models(self):
        n = _check(lib.spex_list_models(self._handle(), ffi.NULL, 0),
                   "list models")
        ids = ffi.new("uint32_t[]", max(n, 1))
        n = _check(lib.spex_list_models(self._handle(), ids, n), "list models")
        return [ids[i] for i in range(n)]

    def describe(self, model_id):
        d = ffi.new("struct spex_model_desc *")
        _check(lib.spex_describe_model(self._handle(), model_id, d,
                                       ffi.NULL, 0),
               "describe model %d" % model_id)
        cap = d.n_layers
        lay = ffi.new("struct spex_layer_desc[]", max(cap, 1))
        _check(lib.spex_describe_model(self._handle(), model_id, d, lay, cap),
               "describe model %d" % model_id)
        info = ModelInfo(d, [LayerInfo(lay[i])
                             for i in range(min(cap, d.n_layers))])
        self._descs[model_id] = info
        return info

    def _desc(self, model_id):
        info = self._descs.get(model_id)
        return info if info is not None else self.describe(model_id)

    def set_policy(self, model_id, mode="auto", thresholds=None,
                   net_mode="confidence", rttvar_k=0, deadline_us=0):
        """mode "auto", "local" or "offload"; thresholds: one confidence
        in [0, 1] per exit, or None to keep the file's. net_mode
        "confidence" (thresholds only), "deadline" or "adaptive" (offload
        only when RTT + rttvar_k * RTTVAR fits deadline_us; adaptive also
        keeps within the link's capacity)."""
        if mode not in MODES:
            raise ValueError("mode must be one of %s" % list(MODES))
        if net_mode not in NET_MODES:
            raise ValueError("net_mode must be one of %s" % list(NET_MODES))
        p = ffi.new("struct spex_policy *")
        p.mode = MODES[mode]
        p.net_mode = NET_MODES[net_mode]
        p.rttvar_k = rttvar_k
        p.deadline_us = deadline_us
        th = list(thresholds or [])
        if len(th) > 8:
            raise ValueError("at most 8 thresholds")
        p.n_thresholds = len(th)
        for i, t in enumerate(th):
            p.threshold_q16[i] = _q16(t)
        _check(lib.spex_set_model_policy(self._handle(), model_id, p),
               "set policy of model %d" % model_id)
        self._descs.pop(model_id, None)

    def set_offload(self, model_id, host, port=0, deadline_ms=0,
                    max_conns=0):
        """Send a HEAD model's OFFLOAD jobs to spex-serve at host:port;
        host None stops offloading (jobs return the bottleneck)."""
        o = ffi.new("struct spex_offload_opts *")
        hostc = ffi.new("char[]", host.encode()) if host else ffi.NULL
        o.host = hostc
        o.port = port
        o.deadline_ms = deadline_ms
        o.max_conns = max_conns
        _check(lib.spex_set_offload(self._handle(), model_id, o),
               "set offload of model %d" % model_id)

    # -- jobs -------------------------------------------------------------
    def _prepare(self, model_id, x, bottleneck_input):
        info = self._desc(model_id)
        a = np.ascontiguousarray(x)
        if bottleneck_input:
            per, dt = info.output_bytes, np.int8
        else:
            per, dt = info.input_bytes, info.np_dtype
        if a.dtype != dt:
            raise TypeError("model %d takes %s input, not %s" %
                            (model_id, np.dtype(dt).name, a.dtype.name))
        if a.nbytes == per:
            return info, a.reshape(1, -1), True
        if a.ndim >= 1 and a.shape[0] and a.nbytes == a.shape[0] * per:
            return info, a.reshape(a.shape[0], -1), False
        raise ValueError("input of %d bytes is neither one job nor a batch "
                         "of %d-byte jobs" % (a.nbytes, per))

    def _out_dtype(self, info):
        return np.float32 if info.np_dtype == np.float32 and \
            info.role != "head" else np.int8

    def infer(self, model_id, x, scalar=False, no_offload=False,
              bottleneck_input=False):
        """Run one input (returns a Result; a failed job raises SpexError)
        or a batch, shape (N, ...) (returns Results; failed jobs have
        res < 0). Inputs are the model's own int8 (or f32) tensors."""
        info, rows, single = self._prepare(model_id, x, bottleneck_input)
        flags = (REQ_SCALAR if scalar else 0) | \
            (REQ_NO_OFFLOAD if no_offload else 0) | \
            (REQ_BOTTLENECK if bottleneck_input else 0)
        odt = self._out_dtype(info)
        out = np.zeros((rows.shape[0],
                        max(info.output_bytes // np.dtype(odt).itemsize, 1)),
                       dtype=odt)
        if single:
            req = ffi.new("struct spex_req *")
            c = ffi.new("struct spex_completion *")
            self._fill_req(req, model_id, flags, rows[0], out[0], 0)
            ret = lib.spex_infer(self._handle(), req, c)
            if ret < 0:
                raise SpexError(ret, "infer on model %d" % model_id,
                                c.result.status or None)
            return Result(c, out[0])
        comps = self._run_batch(model_id, flags, rows, out)
        return Results(comps, out)

    @staticmethod
    def _fill_req(req, model_id, flags, inp, out, ud):
        req.model_id = model_id
        req.flags = flags
        req.input = ffi.cast("const void *", inp.ctypes.data)
        req.input_len = inp.nbytes
        req.output = ffi.cast("void *", out.ctypes.data)
        req.output_len = out.nbytes
        req.user_data = ud

    def _run_batch(self, model_id, flags, rows, out):
        n = rows.shape[0]
        base = self._next_ud
        self._next_ud += n
        got = {}
        pending_other = []
        reqs = ffi.new("struct spex_req[]", n)
        for i in range(n):
            self._fill_req(reqs[i], model_id, flags, rows[i], out[i],
                           base + i)
        cs = ffi.new("struct spex_completion[]", 64)
        sent = 0
        while len(got) < n:
            if sent < n:
                k = lib.spex_submit(self._handle(), reqs + sent, n - sent)
                if k < 0 and k != -_errno.EBUSY:
                    raise SpexError(k, "submit to model %d" % model_id)
                sent += max(k, 0)
            k = _check(lib.spex_reap(self._handle(), cs, 64, 1, -1), "reap")
            for j in range(k):
                ud = cs[j].user_data
                if base <= ud < base + n:
                    got[ud - base] = ffi.new("struct spex_completion *",
                                             cs[j])[0]
                else:
                    pending_other.append(ffi.new("struct spex_completion *",
                                                 cs[j])[0])
        self._early.extend(pending_other)
        return [got[i] for i in range(n)]

    def submit(self, model_id, x, user_data=None, scalar=False,
               no_offload=False, bottleneck_input=False):
        """Queue one job without waiting; returns its user_data (an int;
        one is chosen when None). The input is kept until reap() returns
        its completion. Raises SpexError(EBUSY) when the queue is full."""
        info, rows, single = self._prepare(model_id, x, bottleneck_input)
        if not single:
            raise ValueError("submit() takes one input; infer() runs batches")
        if user_data is None:
            user_data = self._next_ud
            self._next_ud += 1
        if user_data in self._pending:
            raise ValueError("user_data %d is already in flight" % user_data)
        flags = (REQ_SCALAR if scalar else 0) | \
            (REQ_NO_OFFLOAD if no_offload else 0) | \
            (REQ_BOTTLENECK if bottleneck_input else 0)
        odt = self._out_dtype(info)
        out = np.zeros(max(info.output_bytes // np.dtype(odt).itemsize, 1),
                       dtype=odt)
        inp = rows[0].copy()
        req = ffi.new("struct spex_req *")
        self._fill_req(req, model_id, flags, inp, out, user_data)
        k = lib.spex_submit(self._handle(), req, 1)
        if k == 0:
            k = -_errno.EBUSY
        _check(k, "submit to model %d" % model_id)
        self._pending[user_data] = (inp, out)
        return user_data

    def reap(self, max=64, min_complete=1, timeout_ms=-1):
        """Completions of submitted jobs, as Results with user_data, in
        completion order; waits for min_complete or timeout_ms."""
        early = self._early
        done = []
        while early and len(done) < max:
            c = early.pop(0)
            done.append(Result(c, self._pending.pop(c.user_data,
                                                    (None, None))[1]))
        if len(done) < max:
            want = min_complete - len(done) if min_complete > len(done) else 0
            cs = ffi.new("struct spex_completion[]", max - len(done))
            k = _check(lib.spex_reap(self._handle(), cs, max - len(done),
                                     want, timeout_ms), "reap")
            for j in range(k):
                kept = self._pending.pop(cs[j].user_data, (None, None))
                done.append(Result(cs[j], kept[1]))
        return done
