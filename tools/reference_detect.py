#!/usr/bin/env python3
"""Detection on an RGB+IR pair with ONNX Runtime and a NumPy pipeline written independently of the Swift one:
the reference the Swift detector's boxes are compared with.

  python3 tools/reference_detect.py MODEL --rgb a.jpg [--ir b.jpg] [--conf 0.25] [--iou 0.45] [--size 640]

Preprocessing follows the published LetterBox (aspect-preserving bilinear resize with pixel centres aligned,
pad 114, centred, /255; the model's size for static inputs, --size for dynamic ones). Prints JSON:
{"detections": [[class, score, x1, y1, x2, y2], ...]} in original RGB pixels.
"""
import argparse
import json

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps


def resize_bilinear(image, width, height):
    """OpenCV INTER_LINEAR semantics: source = (dst + 0.5) * scale - 0.5, clamped at the edges, uint8 result."""
    src_h, src_w = image.shape[:2]

    def taps(src, dst):
        pos = (np.arange(dst) + 0.5) * (src / dst) - 0.5
        idx = np.floor(pos).astype(int)
        w = pos - idx
        w[idx < 0] = 0
        idx[idx < 0] = 0
        over = idx >= src - 1
        idx[over] = src - 1
        w[over] = 0
        return idx, np.minimum(idx + 1, src - 1), w.astype(np.float32)

    x0, x1, wx = taps(src_w, width)
    y0, y1, wy = taps(src_h, height)
    img = image.astype(np.float32)
    top = img[y0][:, x0] * (1 - wx)[None, :, None] + img[y0][:, x1] * wx[None, :, None]
    bottom = img[y1][:, x0] * (1 - wx)[None, :, None] + img[y1][:, x1] * wx[None, :, None]
    out = top * (1 - wy)[:, None, None] + bottom * wy[:, None, None]
    # OpenCV's fixed-point uint8 path rounds halves up.
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def letterbox(image, new_w, new_h):
    h, w = image.shape[:2]
    r = min(new_h / h, new_w / w)
    unpad_w, unpad_h = int(round(w * r)), int(round(h * r))
    dw, dh = (new_w - unpad_w) / 2, (new_h - unpad_h) / 2
    if (unpad_w, unpad_h) != (w, h):
        image = resize_bilinear(image, unpad_w, unpad_h)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    out = np.full((unpad_h + top + bottom, unpad_w + left + right, image.shape[2]), 114, np.uint8)
    out[top:top + unpad_h, left:left + unpad_w] = image
    return out, r, left, top


def load(path):
    image = ImageOps.exif_transpose(Image.open(path))
    array = np.asarray(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    return array[:, :, None] if array.ndim == 2 else array


def nms(boxes, scores, classes, iou, max_det):
    order = np.argsort(-scores, kind="stable")
    keep = []
    for i in order:
        ok = True
        for j in keep:
            if classes[j] != classes[i]:
                continue
            xx1, yy1 = max(boxes[i, 0], boxes[j, 0]), max(boxes[i, 1], boxes[j, 1])
            xx2, yy2 = min(boxes[i, 2], boxes[j, 2]), min(boxes[i, 3], boxes[j, 3])
            inter = max(0.0, xx2 - xx1) * max(0.0, yy2 - yy1)
            union = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1]) + (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1]) - inter
            if union > 0 and inter / union > iou:
                ok = False
                break
        if ok:
            keep.append(i)
            if len(keep) == max_det:
                break
    return keep


def detect(session, rgb, ir, new_w, new_h, conf, iou):
    """[[class, score, x1, y1, x2, y2], ...] in the first given frame's pixels; rgb or ir may be None (a twin)."""
    inputs = session.get_inputs()
    # An IR frame of another resolution (same aspect ratio) is letterboxed from its own pixels into the same box.
    planes, r, left, top, frame = [], None, None, None, None
    for image in (rgb, ir):
        if image is None:
            continue
        boxed, scale, pad_left, pad_top = letterbox(image, new_w, new_h)
        chw = boxed.transpose(2, 0, 1).astype(np.float32) / 255
        planes.append(np.repeat(chw, 3, axis=0) if chw.shape[0] == 1 else chw)
        if frame is None:  # boxes map back to the first (RGB) frame
            frame, r, left, top = image, scale, pad_left, pad_top
    if len(inputs) == 2:
        feeds = {"rgb": planes[0][None], "ir": planes[1][None]}
    else:
        feeds = {inputs[0].name: np.concatenate(planes, axis=0)[None]}
    out = session.run(None, feeds)[0][0]  # [4 + nc, anchors]

    scores_all = out[4:]
    classes = scores_all.argmax(axis=0)
    scores = scores_all.max(axis=0)
    mask = scores > conf
    cx, cy, w, h = out[0][mask], out[1][mask], out[2][mask], out[3][mask]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float64)
    keep = nms(boxes, scores[mask], classes[mask], iou, 300)
    fh, fw = frame.shape[:2]
    result = []
    for i in keep:
        x1, y1, x2, y2 = boxes[i]
        mapped = [(x1 - left) / r, (y1 - top) / r, (x2 - left) / r, (y2 - top) / r]
        mapped = [min(max(mapped[0], 0), fw), min(max(mapped[1], 0), fh), min(max(mapped[2], 0), fw), min(max(mapped[3], 0), fh)]
        if mapped[2] <= mapped[0] or mapped[3] <= mapped[1]:
            continue  # wholly in the padding: nothing of it is in the picture
        result.append([int(classes[mask][i]), float(scores[mask][i])] + [float(v) for v in mapped])
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--rgb")
    ap.add_argument("--ir")
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--iou", type=float, default=0.45)
    ap.add_argument("--size", type=int, help="input size of dynamic models (default: metadata imgsz, else 640)")
    a = ap.parse_args()

    session = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    shape = inputs[0].shape
    imgsz = [int(v) for v in json.loads(session.get_modelmeta().custom_metadata_map.get("imgsz", "[640, 640]"))]
    size_h, size_w = (a.size, a.size) if a.size else (imgsz[0], imgsz[-1])
    new_h = shape[2] if isinstance(shape[2], int) else size_h
    new_w = shape[3] if isinstance(shape[3], int) else size_w

    result = detect(session, load(a.rgb) if a.rgb else None, load(a.ir) if a.ir else None, new_w, new_h, a.conf, a.iou)
    print(json.dumps({"detections": result}))


if __name__ == "__main__":
    main()
