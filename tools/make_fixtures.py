#!/usr/bin/env python3
"""Write the committed test fixtures (scale t, 3 classes, 320 px) to Tests/Fixtures/models/.

All fixtures of one architecture share seed 0, hence identical weights: the static, dynamic and
two-input mid models must give the same output for the same image. Also writes MANIFEST.json
(inputs, output, op histogram, size, sha256) for the Swift tests.

Fails unless every fixture is well conditioned on uniform [0, 1) and synthetic inputs (320x320
batch 1; the dynamic ones also batch 3 and 256x320): ORT with all graph optimisations vs none, and
ORT vs PyTorch, within 0.01 px on boxes and 2e-5 on scores.

  python3 tools/make_fixtures.py [--out Tests/Fixtures/models] [--scale t]
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (arch, opset, dynamic, two_inputs)
FIXTURES = {
    "mid_t_op18_dyn.onnx": ("mid", 18, True, False),
    "mid_t_op12_static.onnx": ("mid", 12, False, False),
    "mid_t_2in_op18_dyn.onnx": ("mid", 18, True, True),
    "early_t_op18_dyn.onnx": ("early", 18, True, False),
    "early_t_op12_static.onnx": ("early", 12, False, False),
    "yolov8_t_op18_dyn.onnx": ("yolov8", 18, True, False),
    "yolov8_t_op12_static.onnx": ("yolov8", 12, False, False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests", "Fixtures", "models"))
    ap.add_argument("--scale", default="t")
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest, total, failed = {}, 0, []
    for name, (arch, opset, dynamic, two) in FIXTURES.items():
        path = os.path.join(a.out, name)
        model = em.make_model(arch, a.scale, a.classes, two, a.seed, a.size)
        params = sum(p.numel() for p in model.parameters())
        rep = em.export(model, path, opset, dynamic, a.size, 1, two, a.seed, verify=True, quiet=True)
        data = open(path, "rb").read()
        total += len(data)
        chans = 3 if two or arch == "yolov8" else 6
        dims = ["batch", chans, "height", "width"] if dynamic else [1, chans, a.size, a.size]
        manifest[name] = {
            "arch": arch, "fusion": {"mid": "mid", "early": "early", "yolov8": "none"}[arch],
            "scale": a.scale, "classes": a.classes, "opset": opset, "dynamic": dynamic, "seed": a.seed,
            "inputs": {n: dims for n in (["rgb", "ir"] if two else ["images"])},
            "output": {"output0": ["batch", 4 + a.classes, "anchors"] if dynamic
                       else [1, 4 + a.classes, sum((a.size // s) ** 2 for s in (8, 16, 32))]},
            "params_unfused": params, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "ops": rep["ops"],
        }
        ck = rep["checks"]
        uni = [c for c in ck if c["input_kind"] == "uniform"]
        mx = lambda key, cs=ck: max(c[key] for c in cs)
        print(f"{name:27s} {len(data)/1e6:6.3f} MB  ORT opt-vs-noopt boxes {mx('ort_opt_vs_noopt_max_abs_boxes'):.1e} px"
              f" scores {mx('ort_opt_vs_noopt_max_abs_scores'):.1e}; ORT-vs-torch boxes {mx('max_abs_diff_boxes'):.1e} px"
              f" scores {mx('max_abs_diff_scores'):.1e}  {'ok' if rep['ok'] and rep['conditioned'] else 'FAILED'}")
        for kind, cs in (("uniform", uni), ("synthetic", [c for c in ck if c["input_kind"] == "synthetic"])):
            print(f"    {kind:9s} scores {min(c['scores_min_max_mean'][0] for c in cs):.2g}..{max(c['scores_min_max_mean'][1] for c in cs):.3f}"
                  f" mean {np.mean([c['scores_min_max_mean'][2] for c in cs]):.3f}"
                  f" in(0.01,0.9) {min(c['scores_frac_in_0.01_0.9'] for c in cs):.2f}"
                  f"  wh mean {np.mean([c['wh_min_max_mean'][2] for c in cs]):.1f} std {np.mean([c['wh_std'] for c in cs]):.1f}"
                  f" max {max(c['wh_min_max_mean'][1] for c in cs):.0f}")
        print("    ops:", json.dumps(rep["ops"]))
        if not (rep["ok"] and rep["conditioned"]):
            failed.append(name)
    with open(os.path.join(a.out, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"total {total/1e6:.3f} MB in {a.out}")
    if failed:
        sys.exit("verification failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
