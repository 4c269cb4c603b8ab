#!/usr/bin/env python3
"""Where one model finds objects another misses: per-object recall of two models on the same labelled pairs,
by object height, plus the objects only one of them finds, with a picture of them.

  python3 tools/compare_recall.py --model A.onnx --model B.onnx --data data/synth --split test \\
      --condition day --cls 0 --size 480 [--montage misses.png]

For every labelled object of class --cls it takes each model's best score among its detections of that class
that overlap it at IoU 0.5 or more (ONNX Runtime and the NumPy pipeline of reference_detect.py). A model whose
input has 3 channels reads only its own modality (the export's `modality` metadata: rgb or ir). The montage
shows, side by side in RGB and IR, the objects that B finds at --conf and A does not, worst for A first.
mAP says how much two models differ; this says on which objects.
"""
import argparse
import csv
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from reference_detect import detect, load

HEIGHT_BANDS = ((0, 30), (30, 60), (60, 120), (120, 100000))


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


def labelled_boxes(path, cls, width, height):
    boxes = []
    for line in path.read_text().split("\n"):
        if line.strip():
            c, cx, cy, w, h = map(float, line.split())
            if int(c) == cls:
                boxes.append([(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height])
    return boxes


class Model:
    def __init__(self, path, threads):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.name = Path(path).stem
        inputs = self.session.get_inputs()
        meta = self.session.get_modelmeta().custom_metadata_map
        self.modality = meta.get("modality", "rgb+ir") if len(inputs) == 1 and inputs[0].shape[1] == 3 else "rgb+ir"

    def best_scores(self, rgb, ir, boxes, cls, size):
        frames = {"rgb": (rgb, None), "ir": (ir, None), "rgb+ir": (rgb, ir)}[self.modality]
        found = [d for d in detect(self.session, frames[0], frames[1], size, size, 0.01, 0.45) if d[0] == cls]
        return [max([d[1] for d in found if iou(d[2:], box) >= 0.5] + [0.0]) for box in boxes]


def pair_names(data, split, condition):
    if condition is None:
        return sorted(p.stem for p in (data / split / "labels").iterdir())
    with open(data / "conditions.csv") as f:
        return sorted(r["name"] for r in csv.DictReader(f) if r["split"] == split and r["condition"] == condition)


def image_path(folder, stem):
    return next(p for p in folder.iterdir() if p.stem == stem)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="exactly two: A then B")
    ap.add_argument("--data", default="data/synth")
    ap.add_argument("--split", default="test")
    ap.add_argument("--condition", default=None, help="only the pairs of this condition (data/conditions.csv)")
    ap.add_argument("--cls", type=int, default=0, help="class id (default 0, person)")
    ap.add_argument("--size", type=int, default=480, help="square input size")
    ap.add_argument("--conf", type=float, default=0.3, help="score at which an object counts as found")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--montage", default=None, help="PNG of the objects B finds and A misses")
    a = ap.parse_args()
    if len(a.model) != 2:
        ap.error("--model: give exactly two, A and B")
    data = Path(a.data)
    split = data / a.split
    models = [Model(p, a.threads) for p in a.model]

    objects = []  # (score A, score B, pair, box)
    for stem in pair_names(data, a.split, a.condition):
        rgb_path = image_path(split / "images", stem)
        rgb, ir = load(rgb_path), load(image_path(split / "imagesIR", stem))
        boxes = labelled_boxes(split / "labels" / f"{stem}.txt", a.cls, rgb.shape[1], rgb.shape[0])
        if boxes:
            scores = [m.best_scores(rgb, ir, boxes, a.cls, a.size) for m in models]
            objects += [(sa, sb, stem, box) for sa, sb, box in zip(scores[0], scores[1], boxes)]
    if not objects:
        raise SystemExit("no labelled objects of that class in those pairs")

    sa = np.array([o[0] for o in objects])
    sb = np.array([o[1] for o in objects])
    heights = np.array([o[3][3] - o[3][1] for o in objects])
    na, nb = models[0].name, models[1].name
    print(f"{len(objects)} objects of class {a.cls}; found at score {a.conf} or more (IoU 0.5):")
    print(f"| object height (px) | objects | {na} | {nb} |")
    print("|---|--:|--:|--:|")
    for lo, hi in HEIGHT_BANDS:
        sel = (heights >= lo) & (heights < hi)
        if sel.any():
            band = f"{lo} or more" if hi == HEIGHT_BANDS[-1][1] else f"{lo}-{hi}"
            print(f"| {band} | {sel.sum()} | {(sa[sel] >= a.conf).mean():.2f} | {(sb[sel] >= a.conf).mean():.2f} |")
    print(f"| all | {len(objects)} | {(sa >= a.conf).mean():.2f} | {(sb >= a.conf).mean():.2f} |")
    print(f"found by {na} only: {((sa >= a.conf) & (sb < a.conf)).sum()}; by {nb} only: {((sb >= a.conf) & (sa < a.conf)).sum()}")

    if a.montage:
        missed = sorted((o for o in objects if o[1] >= a.conf and o[0] < a.conf), key=lambda o: o[0] - o[1])[:24]
        tile_w, tile_h = 160, 120
        sheet = Image.new("RGB", (tile_w * 6, tile_h * max(1, (len(missed) + 5) // 6)))
        for k, (_, _, stem, (x1, y1, x2, y2)) in enumerate(missed):
            pad_x, pad_y = (x2 - x1) * 0.3 + 4, (y2 - y1) * 0.2 + 4
            crop = (int(x1 - pad_x), int(y1 - pad_y), int(x2 + pad_x), int(y2 + pad_y))
            for j, folder in enumerate(("images", "imagesIR")):
                view = Image.open(image_path(split / folder, stem)).convert("RGB").crop(crop)
                sheet.paste(view.resize((tile_w // 2, tile_h)), ((k % 6) * tile_w + j * tile_w // 2, (k // 6) * tile_h))
        sheet.save(a.montage)
        print(f"{a.montage}: {len(missed)} objects {nb} finds and {na} misses (RGB left, IR right)")


if __name__ == "__main__":
    main()
