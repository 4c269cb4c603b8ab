#!/usr/bin/env python3
"""Accuracy of a detection model on the held-out test split of the synthetic dataset, overall and per scene
condition, with the Swift pipeline (`yolofuse val`) and, as a cross-check, ONNX Runtime + pycocotools.

  python3 bench/run_model_eval.py [--model Models/default/model.onnx] [--data data/synth] [--no-write]

The dataset comes from `python3 tools/synth_data.py --out data/synth ...` (tools/README.md); conditions are
read from data/synth/conditions.csv.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_engine_bench import ROOT, git_commit, publish  # noqa: E402

START, END = "<!-- model-eval:start -->", "<!-- model-eval:end -->"


def subset(split_dir, names, target):
    """A dataset folder of symbolic links to the given pairs."""
    for kind in ("images", "imagesIR", "labels"):
        (target / kind).mkdir(parents=True)
        for entry in (split_dir / kind).iterdir():
            if entry.stem in names:
                (target / kind / entry.name).symlink_to(entry)
    return target


def test_conditions(data, split="test"):
    """Names of a split's pairs per scene condition (data/conditions.csv)."""
    conditions = {}
    with open(Path(data) / "conditions.csv") as f:
        for row in csv.DictReader(f):
            if row["split"] == split:
                conditions.setdefault(row["condition"], set()).add(row["name"])
    return conditions


def ort_val(model, data, size=None):
    """The ONNX Runtime + pycocotools cross-check (tools/ort_val.py); `size`: square input of a dynamic model."""
    extra = ["--size", str(size)] if size else []
    return json.loads(subprocess.run([sys.executable, str(ROOT / "tools" / "ort_val.py"), str(model), "--data", str(data)] + extra,
                                     check=True, capture_output=True, text=True).stdout)


def swift_val(binary, model, data, size=None):
    extra = ["--imgsz", str(size)] if size else []
    out = subprocess.run([binary, "val", "--model", str(model), "--data", str(data), "--json"] + extra,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolofuse", default=str(ROOT / ".build" / "release" / "yolofuse"))
    ap.add_argument("--model", default=str(ROOT / "Models" / "default" / "model.onnx"))
    ap.add_argument("--data", default=str(ROOT / "data" / "synth"))
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    data, model = Path(a.data), Path(a.model)
    test = data / "test"
    conditions = test_conditions(data)
    overall = swift_val(a.yolofuse, model, test)
    reference = ort_val(model, test)
    rows = [("all", overall)]
    with tempfile.TemporaryDirectory() as tmp:
        for condition in sorted(conditions):
            rows.append((condition, swift_val(a.yolofuse, model, subset(test, conditions[condition], Path(tmp) / condition))))

    command = "python3 bench/run_model_eval.py" + (" --no-write" if a.no_write else "")
    lines = [
        "## Default model accuracy",
        "",
        f"Produced by `{command}` on {date.today()}, commit {git_commit()}: `{model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}` "
        f"on the test split of `{data.name}` ({overall['images']} pairs), `yolofuse val` (conf 0.001, IoU 0.7, COCO 101-point).",
        "",
        "| condition | pairs | instances | P | R | mAP50 | mAP50-95 |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['images']} | {r['instances']} | {r['precision']:.3f} | {r['recall']:.3f} | **{r['map50']:.3f}** | {r['map50to95']:.3f} |")
    lines += ["", f"Cross-check, ONNX Runtime + pycocotools on the same split (`tools/ort_val.py`): mAP50 {reference['map50']:.4f}, "
              f"mAP50-95 {reference['map50_95']:.4f}; difference from the Swift pipeline: "
              f"{abs(reference['map50'] - overall['map50']):.4f} mAP50 (target at most 0.005)."]
    publish("\n".join(lines), not a.no_write, START, END)


if __name__ == "__main__":
    main()
