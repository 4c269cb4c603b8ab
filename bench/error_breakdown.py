#!/usr/bin/env python3
"""Where a model's errors are, in one scene condition of a synthetic test split: found, missed and false objects per
class with their median height, at a working threshold rather than over the whole precision-recall curve. With
--mosaic, the most confident false detections (or the largest missed objects) of one class as RGB | IR crops.

  python3 bench/error_breakdown.py MODEL --data data/synth --condition day [--imgsz 480] [--conf 0.25] \
      [--against OTHER] [--mosaic out.png --kind false|missed|other --cls 0]

--against counts the labelled objects each of two models finds and the other misses, with MODEL's best score on
each that only OTHER finds (how near it came), and both models' recall by label height; --kind other shows those.

ONNX Runtime with the reference pipeline of tools/reference_detect.py (letterbox, NMS IoU 0.45); a detection is
found when it overlaps an unmatched label of its class at IoU 0.5 or more, most confident first.
"""
import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from reference_detect import detect as reference_detect, load  # noqa: E402


HEIGHT_BANDS = ((0, 30), (30, 60), (60, 120), (120, None))  # px; None: no upper bound


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


def detect(session, rgb, ir, size, conf):
    """Detections [(class, score, [x1, y1, x2, y2])] in original pixels; a twin gets its own modality's image."""
    inputs = session.get_inputs()
    if len(inputs) == 1 and inputs[0].shape[1] == 3:
        ir_only = session.get_modelmeta().custom_metadata_map.get("modality") == "ir"
        rgb, ir = (None, ir) if ir_only else (rgb, None)
    return [(int(d[0]), d[1], d[2:]) for d in reference_detect(session, rgb, ir, size, size, conf, 0.45)]


def labels(path, width, height):
    out = []
    for line in path.read_text().split("\n"):
        if line.strip():
            c, cx, cy, w, h = map(float, line.split())
            out.append((int(c), [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
                                 (cy + h / 2) * height]))
    return out


def match(detections, truth):
    """Splits into found, false and missed, each [(class, score, box)], plus the indices of the labels found."""
    used, found, false = set(), [], []
    for c, score, box in sorted(detections, key=lambda d: -d[1]):
        overlaps = [(iou(box, g), j) for j, (gc, g) in enumerate(truth) if gc == c and j not in used]
        best, j = max(overlaps, default=(0.0, -1))
        if best >= 0.5:
            used.add(j)
            found.append((c, score, box))
        else:
            false.append((c, score, box))
    missed = [(c, 0.0, g) for j, (c, g) in enumerate(truth) if j not in used]
    return found, false, missed, used


def mosaic(errors, split, path, count=24, columns=4, tile=120):
    tiles = []
    for name, (c, score, box) in errors[:count]:
        rgb, ir = (Image.open(split / kind / f"{name}.jpg").convert("RGB") for kind in ("images", "imagesIR"))
        x1, y1, x2, y2 = box
        margin = 0.6 * max(x2 - x1, y2 - y1)
        crop = (int(x1 - margin), int(y1 - margin), int(x2 + margin), int(y2 + margin))
        k = tile / (crop[2] - crop[0])
        pair = []
        for image in (rgb, ir):
            t = image.crop(crop).resize((tile, tile))
            draw = ImageDraw.Draw(t)
            draw.rectangle([(x1 - crop[0]) * k, (y1 - crop[1]) * k, (x2 - crop[0]) * k, (y2 - crop[1]) * k],
                           outline=(255, 0, 0))
            if not pair:
                draw.text((2, 2), f"{score:.2f} {name}", fill=(255, 255, 0))
            pair.append(np.asarray(t))
        tiles.append(np.concatenate(pair, 1))
    rows = [np.concatenate(tiles[i:i + columns], 1) for i in range(0, len(tiles) - columns + 1, columns)]
    Image.fromarray(np.concatenate(rows, 0)).save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--data", default="data/synth")
    ap.add_argument("--split", default="test")
    ap.add_argument("--condition", default="day")
    ap.add_argument("--imgsz", type=int, default=480)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--against", help="a second model to compare found labels with")
    ap.add_argument("--mosaic")
    ap.add_argument("--kind", choices=["false", "missed", "other"], default="false")
    ap.add_argument("--cls", type=int, default=0)
    a = ap.parse_args()
    data = Path(a.data)
    split = data / a.split
    with open(data / "conditions.csv") as f:
        names = sorted(r["name"] for r in csv.DictReader(f) if r["split"] == a.split and r["condition"] == a.condition)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session, other = (ort.InferenceSession(m, options, providers=["CPUExecutionProvider"]) if m else None
                      for m in (a.model, a.against))
    errors = {"found": [], "false": [], "missed": [], "only": [], "other": []}
    both = []  # with --against, every label as (class, height, found by MODEL, found by OTHER)
    for name in names:
        rgb, ir = load(split / "images" / f"{name}.jpg"), load(split / "imagesIR" / f"{name}.jpg")
        truth = labels(split / "labels" / f"{name}.txt", rgb.shape[1], rgb.shape[0])
        *kinds, found = match(detect(session, rgb, ir, a.imgsz, a.conf), truth)
        for kind, entries in zip(("found", "false", "missed"), kinds):
            errors[kind] += [(name, e) for e in entries]
        if other:
            found_other = match(detect(other, rgb, ir, a.imgsz, a.conf), truth)[3]
            both += [(c, box[3] - box[1], j in found, j in found_other) for j, (c, box) in enumerate(truth)]
            errors["only"] += [(name, (truth[j][0], 1.0, truth[j][1])) for j in sorted(found - found_other)]
            if found_other - found:
                # How close this model came: its best score of the class on the label, NMS kept, conf 0.01.
                near = detect(session, rgb, ir, a.imgsz, 0.01)
                for j in sorted(found_other - found):
                    c, box = truth[j]
                    score = max((s for k, s, d in near if k == c and iou(d, box) >= 0.5), default=0.0)
                    errors["other"].append((name, (c, score, box)))
    print(f"{Path(a.model).name}: {len(names)} {a.condition} pairs of {a.split}, {a.imgsz} px, conf {a.conf}")
    if other:
        print(f"  only:  found by {Path(a.model).name} alone; other: by {Path(a.against).name} alone")
    for kind, found in errors.items():
        for c in sorted({e[0] for _, e in found}):
            heights = [e[2][3] - e[2][1] for _, e in found if e[0] == c]
            line = f"  {kind:6s} class {c}: {len(heights):4d}, median height {np.median(heights):.0f} px"
            if kind == "other":
                scores = np.array([e[1] for _, e in found if e[0] == c])
                counts = np.histogram(scores, [0, 0.05, 0.15, a.conf])[0]
                line += f"; this model's score on them <0.05 / 0.05-0.15 / 0.15-{a.conf}: {' / '.join(map(str, counts))}"
            print(line)
    if both:
        print(f"  recall by label height, {Path(a.model).name} / {Path(a.against).name}:")
        for c in sorted({b[0] for b in both}):
            bands = []
            for lo, hi in HEIGHT_BANDS:
                sel = [b for b in both if b[0] == c and lo <= b[1] and (hi is None or b[1] < hi)]
                if sel:
                    bands.append(f"{lo}-{hi or ''} px ({len(sel)}) "
                                 f"{np.mean([b[2] for b in sel]):.2f} / {np.mean([b[3] for b in sel]):.2f}")
            print(f"    class {c}: " + "; ".join(bands))
    if a.mosaic:
        chosen = [e for e in errors[a.kind] if e[1][0] == a.cls]
        key = (lambda e: -e[1][1]) if a.kind == "false" else (lambda e: -(e[1][2][3] - e[1][2][1]))
        mosaic(sorted(chosen, key=key), split, a.mosaic)


if __name__ == "__main__":
    main()
