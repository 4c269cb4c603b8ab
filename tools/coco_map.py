#!/usr/bin/env python3
"""mAP of a set of detections with pycocotools (the reference the Swift evaluator is tested against).

  python3 tools/coco_map.py CASE.json

CASE.json: {"images": [{"truth": [[class, x1, y1, x2, y2], ...],
                        "predictions": [[class, score, x1, y1, x2, y2], ...]}, ...]}
Prints JSON: {"map50": .., "map50_95": .., "classes": {class: {"map50": .., "map50_95": ..}}}.
"""
import contextlib
import json
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def main():
    case = json.load(open(sys.argv[1]))
    images, annotations, detections, classes = [], [], [], set()
    for image_id, image in enumerate(case["images"], start=1):
        images.append({"id": image_id, "width": 10000, "height": 10000})
        for c, x1, y1, x2, y2 in image["truth"]:
            classes.add(int(c))
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": int(c) + 1,
                                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
        for c, score, x1, y1, x2, y2 in image["predictions"]:
            detections.append({"image_id": image_id, "category_id": int(c) + 1, "score": score,
                               "bbox": [x1, y1, x2 - x1, y2 - y1]})
    # pycocotools reports progress on stdout; keep stdout for the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        result = evaluate(images, annotations, detections, classes)
    print(json.dumps(result))


def evaluate(images, annotations, detections, classes):
    ground_truth = COCO()
    ground_truth.dataset = {"images": images, "annotations": annotations,
                            "categories": [{"id": c + 1} for c in sorted(classes)]}
    ground_truth.createIndex()
    found = ground_truth.loadRes(detections) if detections else COCO()
    evaluation = COCOeval(ground_truth, found, "bbox")
    evaluation.params.maxDets = [10000]
    evaluation.params.areaRng = [[0, 1e10]]
    evaluation.params.areaRngLbl = ["all"]
    evaluation.evaluate()
    evaluation.accumulate()
    precision = evaluation.eval["precision"][:, :, :, 0, 0]  # [thresholds, recall points, classes]
    result = {"classes": {}}
    per50, per95 = [], []
    for k, category in enumerate(evaluation.params.catIds):
        p = precision[:, :, k]
        p = np.where(p < 0, 0, p)  # -1 marks recall levels never reached
        ap50, ap = float(p[0].mean()), float(p.mean())
        result["classes"][str(category - 1)] = {"map50": ap50, "map50_95": ap}
        per50.append(ap50)
        per95.append(ap)
    result["map50"] = float(np.mean(per50))
    result["map50_95"] = float(np.mean(per95))
    return result


if __name__ == "__main__":
    main()
