#!/usr/bin/env python3
"""Time onnxruntime (CPU) on random inputs; print JSON with per-image latency.

  python3 tools/ort_bench.py MODEL --batch 1 --size 640 --threads 2 --warmup 5 --iters 50
Inputs are uniform [0,1) float32 of shape [batch, C, size, size] for every model input (C from
the model, e.g. 6 for `images` of a fusion model, 3 for `rgb`/`ir`). A static model's own
shape wins over --batch/--size. Times are wall-clock per session.run, divided by batch.
"""
import argparse
import json
import resource
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(a.seed)
    feeds, shapes = {}, {}
    for inp in sess.get_inputs():
        dims = list(inp.shape)
        want = [a.batch, None, a.size, a.size]
        shape = [d if isinstance(d, int) else want[i] for i, d in enumerate(dims)]
        feeds[inp.name] = rng.random(shape, dtype=np.float32)
        shapes[inp.name] = shape
    batch = next(iter(shapes.values()))[0]
    for _ in range(a.warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3 / batch)
    times = np.array(times)
    print(json.dumps({
        "model": a.model, "inputs": shapes, "threads": a.threads, "iters": a.iters,
        "median_ms_per_image": round(float(np.median(times)), 3),
        "p90_ms_per_image": round(float(np.percentile(times, 90)), 3),
        "min_ms_per_image": round(float(times.min()), 3),
        "onnxruntime": ort.__version__,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
