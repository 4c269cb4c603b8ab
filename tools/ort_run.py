#!/usr/bin/env python3
"""Run an ONNX model with onnxruntime (CPU) on .npy inputs and save float32 .npy outputs.

Reference runner for the Swift test harness:
  python3 tools/ort_run.py MODEL --input images=in.npy --output output0=out.npy
  python3 tools/ort_run.py MODEL --input rgb=a.npy --input ir=b.npy --output out.npy   # first output
Options: --threads N (intra-op threads, default 2), --opt all|extended|basic|disable (default all).
With a single model input the NAME= prefix may be omitted. Prints one JSON line describing outputs.
"""
import argparse
import json
import sys

import numpy as np
import onnxruntime as ort

OPT = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
       "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
       "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
       "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL}


def split_spec(spec):
    if "=" in spec:
        name, path = spec.split("=", 1)
        return name, path
    return None, spec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--input", action="append", default=[], metavar="NAME=in.npy")
    ap.add_argument("--output", action="append", default=[], metavar="NAME=out.npy | out.npy")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--opt", choices=sorted(OPT), default="all")
    a = ap.parse_args()

    so = ort.SessionOptions()
    so.graph_optimization_level = OPT[a.opt]
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    model_inputs = [i.name for i in sess.get_inputs()]
    model_outputs = [o.name for o in sess.get_outputs()]

    feeds = {}
    for spec in a.input:
        name, path = split_spec(spec)
        if name is None:
            if len(model_inputs) != 1:
                sys.exit(f"model has inputs {model_inputs}; use NAME=path")
            name = model_inputs[0]
        if name not in model_inputs:
            sys.exit(f"unknown input {name!r}; model inputs: {model_inputs}")
        arr = np.load(path)
        if arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        feeds[name] = np.ascontiguousarray(arr)
    missing = [n for n in model_inputs if n not in feeds]
    if missing:
        sys.exit(f"missing inputs: {missing}")

    targets = []  # (output name, path)
    for spec in a.output or []:
        name, path = split_spec(spec)
        name = name or model_outputs[0]
        if name not in model_outputs:
            sys.exit(f"unknown output {name!r}; model outputs: {model_outputs}")
        targets.append((name, path))
    names = [n for n, _ in targets] or model_outputs
    results = dict(zip(names, sess.run(names, feeds)))
    info = {}
    for name, path in targets:
        out = np.ascontiguousarray(results[name], dtype=np.float32)
        np.save(path, out)
        info[name] = {"path": path, "shape": list(out.shape)}
    if not targets:
        info = {n: {"shape": list(v.shape)} for n, v in results.items()}
    print(json.dumps(info))


if __name__ == "__main__":
    main()
