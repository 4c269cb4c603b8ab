#!/usr/bin/env python3
"""mAP of an ONNX model on a YOLOFuse-layout dataset with ONNX Runtime and pycocotools: the Python cross-check
of `yolofuse val` (same preprocessing as tools/reference_detect.py; conf 0.001, IoU 0.7, 300 detections).

  python3 tools/ort_val.py MODEL --data DIR [--size 640]

Prints JSON: {"images": N, "map50": .., "map50_95": .., "classes": {...}}.
"""
import argparse
import contextlib
import json
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coco_map import evaluate  # noqa: E402
from reference_detect import letterbox, load, nms  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", required=True)
    ap.add_argument("--size", type=int, help="input size of dynamic models (default: metadata imgsz)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    session = ort.InferenceSession(a.model, options, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    imgsz = [int(v) for v in json.loads(session.get_modelmeta().custom_metadata_map.get("imgsz", "[640, 640]"))]
    size_h, size_w = (a.size, a.size) if a.size else (imgsz[0], imgsz[-1])
    shape = inputs[0].shape
    new_h = shape[2] if isinstance(shape[2], int) else size_h
    new_w = shape[3] if isinstance(shape[3], int) else size_w

    # A 3-channel model of modality "ir" takes the IR image (replicated to 3 channels); labels are in RGB geometry.
    ir_only = shape[1] == 3 and session.get_modelmeta().custom_metadata_map.get("modality") == "ir"

    names = sorted(os.listdir(os.path.join(a.data, "images")))
    images, annotations, detections, classes = [], [], [], set()
    for image_id, name in enumerate(names, start=1):
        stem = os.path.splitext(name)[0]
        rgb = load(os.path.join(a.data, "images", name))
        ir_name = next(f for f in os.listdir(os.path.join(a.data, "imagesIR")) if os.path.splitext(f)[0] == stem) \
            if len(inputs) == 2 or shape[1] == 6 or ir_only else None
        sources = [rgb] + ([load(os.path.join(a.data, "imagesIR", ir_name))] if ir_name else [])
        if ir_only:
            sources = sources[1:]
        planes, first = [], None
        for image in sources:
            boxed, r, left, top = letterbox(image, new_w, new_h)
            chw = boxed.transpose(2, 0, 1).astype(np.float32) / 255
            planes.append(np.repeat(chw, 3, axis=0) if chw.shape[0] == 1 else chw)
            first = first or (r, left, top)
        r, left, top = first
        feeds = {"rgb": planes[0][None], "ir": planes[1][None]} if len(inputs) == 2 else {inputs[0].name: np.concatenate(planes)[None]}
        out = session.run(None, feeds)[0][0]
        scores_all = out[4:]
        cls, scores = scores_all.argmax(axis=0), scores_all.max(axis=0)
        mask = scores > 0.001
        cx, cy, w, h = out[0][mask], out[1][mask], out[2][mask], out[3][mask]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float64)
        keep = nms(boxes, scores[mask], cls[mask], 0.7, 300)
        fh, fw = rgb.shape[:2]
        images.append({"id": image_id, "width": fw, "height": fh})
        # Boxes come back in the letterboxed source's pixels (the IR image for an IR-only model): scale to RGB.
        sx, sy = fw / sources[0].shape[1], fh / sources[0].shape[0]
        for i in keep:
            x1, y1, x2, y2 = boxes[i]
            m = [min(max((x1 - left) / r * sx, 0), fw), min(max((y1 - top) / r * sy, 0), fh),
                 min(max((x2 - left) / r * sx, 0), fw), min(max((y2 - top) / r * sy, 0), fh)]
            if m[2] <= m[0] or m[3] <= m[1]:
                continue
            detections.append({"image_id": image_id, "category_id": int(cls[mask][i]) + 1, "score": float(scores[mask][i]),
                               "bbox": [m[0], m[1], m[2] - m[0], m[3] - m[1]]})
        label = os.path.join(a.data, "labels", stem + ".txt")
        if os.path.exists(label):
            for line in open(label).read().split("\n"):
                if not line.strip():
                    continue
                c, x, y, w, h = [float(v) for v in line.split()[:5]]
                classes.add(int(c))
                annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": int(c) + 1,
                                    "bbox": [(x - w / 2) * fw, (y - h / 2) * fh, w * fw, h * fh], "area": w * fw * h * fh, "iscrowd": 0})
    with contextlib.redirect_stdout(sys.stderr):
        result = evaluate(images, annotations, detections, classes)
    result["images"] = len(images)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
