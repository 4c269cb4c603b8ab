#!/usr/bin/env python3
"""Write full scale-n benchmark models (random weights, 640, dynamic batch/height/width, opset 18).

Not committed (1.2-3.2 M parameters each). Example:
  python3 tools/make_bench_models.py --out bench/models --classes 3 80
writes {mid,early,yolov8}_n_c{K}_op18_dyn.onnx (+ mid_n_c{K}_2in_op18_dyn.onnx with --two-inputs).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--classes", type=int, nargs="+", default=[3], help="e.g. 3 80")
    ap.add_argument("--archs", nargs="+", default=["mid", "early", "yolov8"])
    ap.add_argument("--scale", default="n")
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--opset", type=int, default=18)
    ap.add_argument("--static", action="store_true")
    ap.add_argument("--two-inputs", action="store_true", help="also write the two-input mid model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-verify", action="store_true", help="skip the torch/ORT comparison (faster)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    kind = "static" if a.static else "dyn"
    jobs = [(arch, k, False) for k in a.classes for arch in a.archs]
    if a.two_inputs and "mid" in a.archs:
        jobs += [("mid", k, True) for k in a.classes]
    failed = []
    for arch, k, two in jobs:
        name = f"{arch}_{a.scale}_c{k}{'_2in' if two else ''}_op{a.opset}_{kind}.onnx"
        path = os.path.join(a.out, name)
        model = em.make_model(arch, a.scale, k, two, a.seed, min(a.size, 320))
        rep = em.export(model, path, a.opset, not a.static, a.size, 1, two, a.seed,
                        verify=not a.no_verify, quiet=True)
        line = f"{name:34s} {rep['bytes']/1e6:7.2f} MB"
        if "checks" in rep:
            c = rep["checks"][0]
            line += (f"  ort-vs-torch scores {max(x['max_abs_diff_scores'] for x in rep['checks']):.1e}"
                     f" boxes {max(x['max_abs_diff_boxes'] for x in rep['checks']):.1e} px"
                     f"  ort opt-vs-noopt scores {max(x['ort_opt_vs_noopt_max_abs_scores'] for x in rep['checks']):.1e}"
                     f" boxes {max(x['ort_opt_vs_noopt_max_abs_boxes'] for x in rep['checks']):.1e} px"
                     f"  scores mean {c['scores_min_max_mean'][2]:.3f}  {'ok' if rep['ok'] else 'FAILED'}")
            if not rep["ok"]:
                failed.append(name)
        print(line, flush=True)
    if failed:
        sys.exit("verification failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
