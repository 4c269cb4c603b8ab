#!/usr/bin/env python3
"""Check the training evaluator (yolofuse_train/metrics.py) against pycocotools (coco_map.py).

Random cases: ground truth of 3 classes, jittered true positives (some with the wrong class) and
random false positives. mAP50 and mAP50-95 must agree to 1e-9. Exits 1 otherwise.

  python3 tools/check_train_metrics.py [--cases 8]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from yolofuse_train.metrics import DetectionMetrics  # noqa: E402


def random_case(rng, n_images=25):
    images = []
    for _ in range(n_images):
        gt = []
        for _ in range(rng.integers(0, 8)):
            x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 500), rng.uniform(5, 120), rng.uniform(5, 120)
            gt.append([int(rng.integers(3)), x, y, x + w, y + h])
        dets = []
        for g in gt:
            w, h = g[3] - g[1], g[4] - g[2]
            for _ in range(rng.integers(0, 3)):
                j = rng.normal(0, 0.12, 4) * np.array([w, h, w, h])
                x1, y1 = g[1] + j[0], g[2] + j[1]
                # Keep boxes non-degenerate: COCO ignores negative-area detections, the model
                # never produces them.
                x2, y2 = max(x1 + 1, g[3] + j[2]), max(y1 + 1, g[4] + j[3])
                c = g[0] if rng.random() < 0.85 else int(rng.integers(3))
                dets.append([c, float(rng.random()), float(x1), float(y1), float(x2), float(y2)])
        for _ in range(rng.integers(0, 10)):
            x, y = rng.uniform(0, 500, 2)
            dets.append([int(rng.integers(3)), float(rng.random() * 0.7), float(x), float(y),
                         float(x + rng.uniform(5, 80)), float(y + rng.uniform(5, 80))])
        images.append({"truth": gt, "predictions": dets})
    return images


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=8)
    a = ap.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.cases):
            images = random_case(np.random.default_rng(seed))
            m = DetectionMetrics(3)
            for im in images:
                det = np.array([[d[2], d[3], d[4], d[5], d[1], d[0]] for d in im["predictions"]]).reshape(-1, 6)
                m.add(det, np.array(im["truth"], np.float64).reshape(-1, 5))
            path = os.path.join(tmp, "case.json")
            with open(path, "w") as f:
                json.dump({"images": images}, f)
            ref = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "coco_map.py"), path],
                                            capture_output=True, text=True, check=True).stdout)
            ours = m.summary()
            diff = max(abs(ref["map50"] - ours["mAP50"]), abs(ref["map50_95"] - ours["mAP50-95"]))
            worst = max(worst, diff)
            print(f"case {seed}: pycocotools {ref['map50']:.6f} / {ref['map50_95']:.6f}, "
                  f"ours {ours['mAP50']:.6f} / {ours['mAP50-95']:.6f}")
    print(f"max |diff| {worst:.2e}")
    sys.exit(0 if worst <= 1e-9 else 1)


if __name__ == "__main__":
    main()
