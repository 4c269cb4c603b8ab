#!/usr/bin/env python3
"""Generate a synthetic paired RGB + thermal IR detection dataset in the YOLOFuse layout.

Scenes hold people, cars and bicycles under four conditions that each defeat one modality:
  day    RGB clear; IR at thermal crossover (people about as warm as the sun-heated ground)
  night  RGB dark and noisy except under lamps; warm bodies and engines bright in IR
  fog    RGB washed out with distance (fog or smoke); IR nearly unaffected
  glare  a low sun / floodlight blows out part of the RGB image; IR clear
plus decoys that fool one modality only (mannequins, posters, painted bike symbols and wall
shadows look right in RGB but are cold in IR; lamps, heaters, vents, dogs and warm car-shaped
ground are hot in IR but are not objects), occluders and background clutter. See
tools/synthdata/ for the renderer.

Layout (one root per split, each pairing images/X.jpg with imagesIR/X.jpg as YOLOFuse does):
  OUT/{train,val,test}/images/NAME.jpg     visible RGB
  OUT/{train,val,test}/imagesIR/NAME.jpg   thermal, 8-bit grey
  OUT/{train,val,test}/labels/NAME.txt     YOLO "class cx cy w h" (normalised; RGB geometry,
                                           real objects only, decoys never labelled)
  OUT/conditions.csv                       name,split,condition,objects
  OUT/dataset.json                         class names, splits, size, seed

Every pair is a pure function of (seed, split, index), so output does not depend on --workers.

  python3 tools/synth_data.py --out data/synth --train 3000 --val 500 --test 500 --size 640x512 --seed 0
"""
import argparse
import csv
import json
import os
import sys
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthdata import CLASSES, CONDITIONS, GENERATION, render_pair  # noqa: E402

SPLITS = ("train", "val", "test")


def pair_rng(seed, split, index):
    return np.random.default_rng([seed, SPLITS.index(split), index])


def _job(args):
    out, split, index, seed, W, H, quality, generation = args
    rng = pair_rng(seed, split, index)
    # Conditions rotate so every split is balanced across them.
    cond = CONDITIONS[index % len(CONDITIONS)]
    rgb, ir, labels, cond = render_pair(rng, W, H, cond, generation)
    name = f"{split}_{index:06d}"
    root = os.path.join(out, split)
    Image.fromarray(rgb, "RGB").save(os.path.join(root, "images", name + ".jpg"), quality=quality)
    Image.fromarray(ir, "L").save(os.path.join(root, "imagesIR", name + ".jpg"), quality=quality)
    with open(os.path.join(root, "labels", name + ".txt"), "w") as f:
        for c, cx, cy, w, h in labels:
            f.write(f"{c} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n")
    return name, split, cond, len(labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--val", type=int, default=500)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--size", default="640x512", help="WxH")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality")
    ap.add_argument("--generation", type=int, choices=[1, 2, 3, 4, 5, 6], default=GENERATION,
                    help="scene generation: 1 without glass panes and cold-weather clothing, 2 with them, "
                         "3 adds thermal crossover at low sun (glare), damp clothing in fog, parked bicycles "
                         "that vanish in IR and more panes, 4 deep shade by day, 5 generation 3 with faces and hands "
                         "keeping part of their thermal contrast in daytime crossover, 6 generation 3 with the whole person "
                         "keeping 10-35%% of it")
    a = ap.parse_args()
    W, H = (int(v) for v in a.size.lower().split("x"))

    jobs = []
    counts = {"train": a.train, "val": a.val, "test": a.test}
    for split in SPLITS:
        if counts[split] <= 0:
            continue
        for sub in ("images", "imagesIR", "labels"):
            os.makedirs(os.path.join(a.out, split, sub), exist_ok=True)
        jobs += [(a.out, split, i, a.seed, W, H, a.quality, a.generation) for i in range(counts[split])]

    t0 = time.time()
    rows = []
    if a.workers > 1:
        with Pool(a.workers) as pool:
            for k, r in enumerate(pool.imap(_job, jobs, chunksize=8)):
                rows.append(r)
    else:
        rows = [_job(j) for j in jobs]
    dt = time.time() - t0

    with open(os.path.join(a.out, "conditions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "split", "condition", "objects"])
        w.writerows(rows)
    meta = {
        "path": ".", "train": "train", "val": "val", "test": "test",
        "images": "images", "imagesIR": "imagesIR", "labels": "labels",
        "nc": len(CLASSES), "names": {str(i): n for i, n in enumerate(CLASSES)},
        "size": [W, H], "seed": a.seed, "counts": counts, "conditions": list(CONDITIONS),
        "generator": "tools/synth_data.py", "generation": a.generation,
    }
    with open(os.path.join(a.out, "dataset.json"), "w") as f:
        json.dump(meta, f, indent=1)
    n = len(rows)
    print(f"{n} pairs in {dt:.1f} s ({n / max(dt, 1e-9):.1f} pairs/s, {a.workers} worker(s)); "
          f"{sum(r[3] for r in rows)} labels -> {a.out}")


if __name__ == "__main__":
    main()
