#!/usr/bin/env python3
"""Fusion against single modalities: mAP50 of mid fusion, early fusion and the RGB-only and IR-only twins on the
held-out test split of the synthetic dataset, overall and per scene condition, with `yolofuse val`, plus an ONNX
Runtime cross-check of each model's overall mAP50.

  python3 bench/run_fusion_comparison.py --model mid=Models/default/model.onnx --model rgb=bench/models/rgb_n.onnx \\
      --model ir=bench/models/ir_n.onnx [--model early=bench/models/early_n.onnx] [--no-write]

Models are trained with `tools/train.py` (the schedules are in BENCHMARKS.md's training section) and exported with
`tools/export_models.py --checkpoint runs/NAME/best.pt`.
"""
import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_engine_bench import ROOT, git_commit, publish  # noqa: E402
from run_model_eval import ort_val, subset, swift_val, test_conditions  # noqa: E402

START, END = "<!-- fusion-comparison:start -->", "<!-- fusion-comparison:end -->"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolofuse", default=str(ROOT / ".build" / "release" / "yolofuse"))
    ap.add_argument("--model", action="append", required=True, help="NAME=PATH, in table order")
    ap.add_argument("--data", default=str(ROOT / "data" / "synth"))
    ap.add_argument("--split", default="test", choices=["test", "val"],
                    help="the split scored; val only to check a finding on other pairs, never to report a target")
    ap.add_argument("--imgsz", type=int, default=None, help="square input size for every model (default: each model's own)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    if a.split != "test" and not a.no_write:
        ap.error("--split val checks a finding; it takes --no-write (the published table is the test split's)")
    models = [tuple(spec.split("=", 1)) for spec in a.model]
    data = Path(a.data)
    split_dir = data / a.split
    conditions = test_conditions(data, a.split)
    names = sorted(conditions)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {c: subset(split_dir, conditions[c], Path(tmp) / c) for c in names}
        for name, path in models:
            row = {"all": swift_val(a.yolofuse, path, split_dir, a.imgsz)}
            for c in names:
                row[c] = swift_val(a.yolofuse, path, folders[c], a.imgsz)
            row["ort"] = ort_val(path, split_dir, a.imgsz)["map50"]
            results[name] = row
            print(name, {k: (v["map50"] if isinstance(v, dict) else v) for k, v in row.items()}, file=sys.stderr)

    lines = [
        "## Fusion against single modalities",
        "",
        f"Produced by `python3 bench/run_fusion_comparison.py` on {date.today()}, commit {git_commit()}: mAP50 on the {a.split} split of "
        f"`{data.name}` ({results[models[0][0]]['all']['images']} pairs) with `yolofuse val` (conf 0.001, IoU 0.7, COCO 101-point). "
        f"Every model: scale n, 3 classes, trained at 320 px, the same data and seed (their training schedules are in "
        f"the training section), evaluated at {f'{a.imgsz} px' if a.imgsz else 'its own size (320 px)'}.",
        "",
        "| model | all | " + " | ".join(names) + " | mAP50-95 | ORT mAP50 (difference) |",
        "|---|--:|" + "--:|" * len(names) + "--:|--:|",
    ]
    for name, _ in models:
        r = results[name]
        cells = " | ".join(f"{r[c]['map50']:.3f}" for c in names)
        lines.append(f"| {name} | **{r['all']['map50']:.3f}** | {cells} | {r['all']['map50to95']:.3f} | "
                     f"{r['ort']:.3f} ({abs(r['ort'] - r['all']['map50']):.4f}) |")
    singles = [n for n, _ in models if n in ("rgb", "ir")]
    if "mid" in results and singles:
        mid = results["mid"]
        margin = mid["all"]["map50"] - max(results[n]["all"]["map50"] for n in singles)
        behind = [c for c in names if mid[c]["map50"] < max(results[n][c]["map50"] for n in singles)]
        lines += ["", f"Mid fusion over the better single modality: {margin:+.3f} mAP50 overall (target at least +0.05); "
                  f"conditions where a single modality beats it: {', '.join(behind) if behind else 'none'} (target none); "
                  f"mid fusion overall {mid['all']['map50']:.3f} (target at least 0.80)."]
    publish("\n".join(lines), not a.no_write, START, END)


if __name__ == "__main__":
    main()
