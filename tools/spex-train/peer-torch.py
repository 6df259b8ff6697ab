#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR GPL-2.0
"""The PyTorch peer of make results: replay a plan that spex-train
--export-plan wrote (the same masks from spex's pattern generator, the
same initial weights, optimizer, epochs, batch and sample order) as
masked-dense training, the mask re-applied after every optimizer step,
and report test accuracy and seconds per epoch.

  peer-torch.py PLAN_DIR DATASET_DIR [--threads N] > report

DATASET_DIR holds the official train-/t10k- IDX files
(scripts/get-datasets.sh). The report is key value lines:
  acc final F exit0 E ...     test accuracy, fractions
  epoch_seconds S             mean wall seconds per epoch
"""
import argparse
import os
import sys
import time

import numpy as np
import torch


def idx(path, magic):
    with open(path, "rb") as f:
        raw = f.read()
    if int.from_bytes(raw[0:4], "big") != magic:
        sys.exit(f"peer-torch: {path}: not an IDX file of magic {magic:#x}")
    n = int.from_bytes(raw[4:8], "big")
    off = 16 if magic == 0x803 else 8
    a = np.frombuffer(raw, dtype=np.uint8, offset=off)
    return a.reshape(n, -1) if magic == 0x803 else a


def read_plan(d):
    plan = {"layers": [], "exits": []}
    with open(os.path.join(d, "plan.txt")) as f:
        for line in f:
            t = line.split()
            if not t:
                continue
            if t[0] == "layer":
                kv = dict(zip(t[2::2], map(int, t[3::2])))
                plan["layers"].append(kv)
            elif t[0] == "exit":
                plan["exits"].append((int(t[3]), float(t[5])))
            elif t[0] == "train":
                kv = dict(zip(t[1::2], t[2::2]))
                plan["train"] = {k: float(v) for k, v in kv.items()}
            elif t[0] != "name":
                plan[t[0]] = int(t[1])
    return plan


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plan")
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    p = read_plan(a.plan)
    tr = p["train"]
    epochs, batch = int(tr["epochs"]), int(tr["batch"])
    n_in, n_main = p["n_in"], p["n_main"]

    def inputs(x):
        t = torch.zeros((x.shape[0], n_in), dtype=torch.float32)
        t[:, :x.shape[1]] = torch.from_numpy(x.astype(np.float32)) / 255
        return t

    xtr = idx(os.path.join(a.data, "train-images-idx3-ubyte"), 0x803)
    ytr = idx(os.path.join(a.data, "train-labels-idx1-ubyte"), 0x801)
    xte = idx(os.path.join(a.data, "t10k-images-idx3-ubyte"), 0x803)
    yte = idx(os.path.join(a.data, "t10k-labels-idx1-ubyte"), 0x801)
    sub = np.fromfile(os.path.join(a.plan, "train.u32"), dtype="<u4")
    order = np.fromfile(os.path.join(a.plan, "order.u32"), dtype="<u4")
    n = p["n_train"]
    if sub.size != n or order.size != n * epochs:
        sys.exit("peer-torch: train.u32 / order.u32 do not match plan.txt")
    Xtr, Ytr = inputs(xtr[sub]), torch.from_numpy(ytr[sub].astype(np.int64))
    Xte, Yte = inputs(xte), torch.from_numpy(yte.astype(np.int64))

    W, B, M = [], [], []
    for i, l in enumerate(p["layers"]):
        shape = (l["out"], l["in"])
        w = np.fromfile(os.path.join(a.plan, f"w{i}.f32"), dtype="<f4")
        m = np.fromfile(os.path.join(a.plan, f"mask{i}.u8"), dtype=np.uint8)
        b = np.fromfile(os.path.join(a.plan, f"b{i}.f32"), dtype="<f4")
        W.append(torch.tensor(w.reshape(shape), requires_grad=True))
        M.append(torch.from_numpy(m.reshape(shape).astype(np.float32)))
        B.append(torch.tensor(b, requires_grad=True))
    outs = [(o, wgt) for o, wgt in p["exits"]] + [(n_main, tr["final_weight"])]

    def forward(x):
        act = [x]
        for i, l in enumerate(p["layers"]):
            y = torch.nn.functional.linear(act[l["src"]], W[i], B[i])
            act.append(torch.relu(y) if l["relu"] else y)
        return [act[o] for o, _ in outs]

    params = W + B
    if tr["adam"]:
        opt = torch.optim.Adam(params, lr=tr["lr"], betas=(0.9, 0.999),
                               eps=1e-8, weight_decay=tr["l2"])
    else:
        opt = torch.optim.SGD(params, lr=tr["lr"], momentum=tr["momentum"],
                              weight_decay=tr["l2"])
    ce = torch.nn.functional.cross_entropy
    secs = []
    for ep in range(epochs):
        for g in opt.param_groups:
            g["lr"] = tr["lr"] * tr["decay"] ** ep
        o = torch.from_numpy(order[ep * n:(ep + 1) * n].astype(np.int64))
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            j = o[i:i + batch]
            logits = forward(Xtr[j])
            loss = sum(wgt * ce(z, Ytr[j]) for z, (_, wgt) in zip(logits, outs))
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for w, m in zip(W, M):
                    w.mul_(m)
        secs.append(time.perf_counter() - t0)
    with torch.no_grad():
        logits = forward(Xte)
    acc = [float((z.argmax(1) == Yte).float().mean()) for z in logits]
    print("acc final %.6f" % acc[-1] +
          "".join(" exit%d %.6f" % (e, v) for e, v in enumerate(acc[:-1])))
    print("epoch_seconds %.4f" % (sum(secs) / len(secs)))
    print("torch %s threads %d" % (torch.__version__, a.threads))


if __name__ == "__main__":
    main()
