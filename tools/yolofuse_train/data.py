"""Paired RGB + IR detection data for training and evaluation.

Dataset layout (tools/synth_data.py writes it; LLVIP converted to YOLOFuse form looks the same):
ROOT/SPLIT/images/X.jpg (RGB), ROOT/SPLIT/imagesIR/X.jpg (IR, pairs by name), ROOT/SPLIT/labels/X.txt
(YOLO "class cx cy w h", normalised, RGB geometry), optional ROOT/conditions.csv and ROOT/dataset.json.

Samples are [6, S, S] uint8 (RGB in 0-2, the single-channel IR replicated into 3-5), the layout
the exported models take after /255. Geometry (mosaic, scale, translate, flip) is applied to
both modalities with one matrix, so they stay registered; photometric jitter is drawn per
modality because they are different sensors. Resampling is point-sampled bilinear (PIL affine
transform), like the cv2 resize inside Ultralytics' LetterBox, not an antialiased resize, so
training sees what a LetterBox preprocessor feeds at inference; padding is 114 in both.
"""
import csv
import json
import os

import numpy as np
import torch
from PIL import Image

PAD = 114
IMG_EXT = (".jpg", ".jpeg", ".png", ".bmp")

DEFAULT_HYP = {
    "mosaic": 0.5,      # probability of a 4-image mosaic (train only)
    "scale": 0.5,       # random scale gain in [1 - scale, 1 + scale]
    "translate": 0.1,   # random shift, fraction of the image size
    "fliplr": 0.5,
    "hsv_v": 0.4,       # RGB brightness gain range
    "hsv_s": 0.5,       # RGB saturation gain range
    "ir_v": 0.25,       # IR contrast gain range
}


def read_meta(root):
    path = os.path.join(root, "dataset.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"names": {"0": "person", "1": "car", "2": "bicycle"}, "nc": 3}


def _find(dirpath, stem):
    for e in IMG_EXT:
        p = os.path.join(dirpath, stem + e)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(dirpath, stem + ".*"))


def _affine(img, M, S, fill):
    """Resample img with forward matrix M (output = M @ [x, y, 1]) into an S x S image."""
    a, tx, ty = M  # uniform scale + translation only
    inv = (1.0 / a, 0.0, -tx / a, 0.0, 1.0 / a, -ty / a)
    return img.transform((S, S), Image.AFFINE, inv, resample=Image.BILINEAR, fillcolor=fill)


class PairDataset(torch.utils.data.Dataset):
    def __init__(self, root, split, imgsz, augment=False, hyp=None, limit=None, seed=0, cache=False,
                 mask_conditions=None):
        d = os.path.join(root, split)
        self.img_dir, self.ir_dir, self.lbl_dir = (os.path.join(d, s) for s in ("images", "imagesIR", "labels"))
        names = sorted(os.path.splitext(f)[0] for f in os.listdir(self.img_dir) if f.lower().endswith(IMG_EXT))
        self.names = names[:limit] if limit else names
        self.imgsz, self.augment, self.seed = imgsz, augment, seed
        self.hyp = dict(DEFAULT_HYP, **(hyp or {}))
        self.epoch = 0  # the trainer sets it, so each epoch draws new but reproducible augmentation
        self.labels = [self._read_labels(n) for n in self.names]
        cond = {}
        cpath = os.path.join(root, "conditions.csv")
        if os.path.exists(cpath):
            with open(cpath) as f:
                cond = {r["name"]: r["condition"] for r in csv.DictReader(f)}
        self.conditions = [cond.get(n, "") for n in self.names]
        # With mask_conditions, each item also carries a [1, S, S] uint8 map, 255 where the pixel comes
        # from a pair of one of those conditions (distillation weights, tools/yolofuse_train/distill.py).
        self.mask_conditions = set(mask_conditions) if mask_conditions else None
        if self.mask_conditions and not any(self.conditions):
            raise ValueError(f"{root}: no conditions.csv, so no pair can be masked by condition")
        self.cache = {} if cache else None

    def _read_labels(self, name):
        p = os.path.join(self.lbl_dir, name + ".txt")
        if not os.path.exists(p):
            return np.zeros((0, 5), np.float32)
        a = np.loadtxt(p, dtype=np.float32, ndmin=2)
        return a.reshape(-1, 5)

    def __len__(self):
        return len(self.names)

    def load(self, i):
        """RGB and IR of pair i as PIL images of equal size, plus pixel xyxy boxes."""
        if self.cache is not None and i in self.cache:
            rgb, ir = self.cache[i]
        else:
            n = self.names[i]
            rgb = Image.open(_find(self.img_dir, n)).convert("RGB")
            ir = Image.open(_find(self.ir_dir, n)).convert("L")
            if ir.size != rgb.size:  # registered pairs should match; be lenient with resized IR
                ir = ir.resize(rgb.size, Image.BILINEAR)
            if self.cache is not None:
                # Cache at long side = imgsz (what training mostly needs) to bound memory.
                r = self.imgsz / max(rgb.size)
                if r < 1:
                    size = (round(rgb.size[0] * r), round(rgb.size[1] * r))
                    rgb = rgb.transform(size, Image.AFFINE, (1 / r, 0, 0, 0, 1 / r, 0), resample=Image.BILINEAR)
                    ir = ir.transform(size, Image.AFFINE, (1 / r, 0, 0, 0, 1 / r, 0), resample=Image.BILINEAR)
                self.cache[i] = (rgb, ir)
        w, h = rgb.size
        lb = self.labels[i]
        boxes = np.zeros((len(lb), 5), np.float32)
        if len(lb):
            boxes[:, 0] = lb[:, 0]
            boxes[:, 1] = (lb[:, 1] - lb[:, 3] / 2) * w
            boxes[:, 2] = (lb[:, 2] - lb[:, 4] / 2) * h
            boxes[:, 3] = (lb[:, 1] + lb[:, 3] / 2) * w
            boxes[:, 4] = (lb[:, 2] + lb[:, 4] / 2) * h
        return rgb, ir, boxes

    def _mosaic(self, i, rng):
        """Four pairs around a random centre of a 2S x 2S canvas (each scaled to long side S)."""
        S = self.imgsz
        idx = [i] + list(rng.integers(0, len(self), 3))
        xc, yc = (int(rng.uniform(0.5 * S, 1.5 * S)) for _ in range(2))
        c_rgb = np.full((2 * S, 2 * S, 3), PAD, np.uint8)
        c_ir = np.full((2 * S, 2 * S), PAD, np.uint8)
        c_mask = np.zeros((2 * S, 2 * S), np.uint8) if self.mask_conditions else None
        all_boxes = []
        for k, j in enumerate(idx):
            rgb, ir, boxes = self.load(int(j))
            r = S / max(rgb.size)
            w, h = round(rgb.size[0] * r), round(rgb.size[1] * r)
            inv = (1 / r, 0, 0, 0, 1 / r, 0)
            rgb = np.asarray(rgb.transform((w, h), Image.AFFINE, inv, resample=Image.BILINEAR))
            ir = np.asarray(ir.transform((w, h), Image.AFFINE, inv, resample=Image.BILINEAR))
            # Tile corner k: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right of the centre.
            x0 = xc - w if k in (0, 2) else xc
            y0 = yc - h if k in (0, 1) else yc
            xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + w, 2 * S), min(y0 + h, 2 * S)
            c_rgb[ya:yb, xa:xb] = rgb[ya - y0:yb - y0, xa - x0:xb - x0]
            c_ir[ya:yb, xa:xb] = ir[ya - y0:yb - y0, xa - x0:xb - x0]
            if c_mask is not None:
                c_mask[ya:yb, xa:xb] = self._mask_value(int(j))
            if len(boxes):
                b = boxes.copy()
                b[:, 1:] = b[:, 1:] * r + np.array([x0, y0, x0, y0], np.float32)
                # Clip to the tile's visible part so boxes never extend into a neighbour.
                b[:, [1, 3]] = b[:, [1, 3]].clip(xa, xb)
                b[:, [2, 4]] = b[:, [2, 4]].clip(ya, yb)
                all_boxes.append(b)
        boxes = np.concatenate(all_boxes) if all_boxes else np.zeros((0, 5), np.float32)
        mask = Image.fromarray(c_mask) if c_mask is not None else None
        return Image.fromarray(c_rgb), Image.fromarray(c_ir), boxes, (S, S), mask

    def _mask_value(self, i):
        return 255 if self.conditions[i] in self.mask_conditions else 0

    def __getitem__(self, i):
        S, hyp = self.imgsz, self.hyp
        rng = np.random.default_rng([self.seed, self.epoch, i])
        if self.augment and rng.random() < hyp["mosaic"]:
            rgb, ir, boxes, centre, mask = self._mosaic(i, rng)
            base = 1.0
        else:
            rgb, ir, boxes = self.load(i)
            w, h = rgb.size
            mask = Image.new("L", (w, h), self._mask_value(i)) if self.mask_conditions else None
            centre = (w / 2, h / 2)
            base = S / max(w, h)  # letterbox ratio
        if self.augment:
            a = base * rng.uniform(1 - hyp["scale"], 1 + hyp["scale"])
            tx = S / 2 + rng.uniform(-hyp["translate"], hyp["translate"]) * S - a * centre[0]
            ty = S / 2 + rng.uniform(-hyp["translate"], hyp["translate"]) * S - a * centre[1]
        else:  # plain centred letterbox
            a = base
            tx, ty = (S - a * 2 * centre[0]) / 2, (S - a * 2 * centre[1]) / 2
        rgb = np.asarray(_affine(rgb, (a, tx, ty), S, (PAD, PAD, PAD)))
        ir = np.asarray(_affine(ir, (a, tx, ty), S, PAD))
        mask = np.asarray(_affine(mask, (a, tx, ty), S, 0)) if mask is not None else None
        # Training drops boxes that became tiny; evaluation keeps every GT with any area.
        boxes = _transform_boxes(boxes, a, tx, ty, S, 2.0 if self.augment else 0.0)
        if self.augment:
            if rng.random() < hyp["fliplr"]:
                rgb, ir = rgb[:, ::-1], ir[:, ::-1]
                mask = mask[:, ::-1] if mask is not None else None
                boxes[:, [1, 3]] = S - boxes[:, [3, 1]]
            rgb, ir = _photometric(rgb, ir, rng, hyp)
        img = np.empty((6, S, S), np.uint8)
        img[:3] = rgb.transpose(2, 0, 1)
        img[3:] = ir[None]
        labels = np.zeros((len(boxes), 6), np.float32)
        labels[:, 1:] = boxes
        if mask is not None:
            return torch.from_numpy(img), torch.from_numpy(labels), i, torch.from_numpy(mask.copy())[None]
        return torch.from_numpy(img), torch.from_numpy(labels), i


def _transform_boxes(boxes, a, tx, ty, S, min_wh):
    if not len(boxes):
        return boxes
    b = boxes.copy()
    b[:, [1, 3]] = b[:, [1, 3]] * a + tx
    b[:, [2, 4]] = b[:, [2, 4]] * a + ty
    area0 = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])
    b[:, 1:] = b[:, 1:].clip(0, S)
    w, h = b[:, 3] - b[:, 1], b[:, 4] - b[:, 2]
    # Drop boxes that became tiny or were mostly cut off by the frame.
    keep = (w > min_wh) & (h > min_wh) & (w * h > 0.25 * np.maximum(area0, 1e-6))
    return b[keep]


def _photometric(rgb, ir, rng, hyp):
    rgb = rgb.astype(np.float32)
    v = rng.uniform(1 - hyp["hsv_v"], 1 + hyp["hsv_v"])
    s = rng.uniform(1 - hyp["hsv_s"], 1 + hyp["hsv_s"])
    lum = rgb.mean(-1, keepdims=True)
    rgb = ((lum + (rgb - lum) * s) * v).clip(0, 255).astype(np.uint8)
    g = rng.uniform(1 - hyp["ir_v"], 1 + hyp["ir_v"])
    m = float(ir.mean())
    ir = ((ir.astype(np.float32) - m) * g + m + rng.uniform(-10, 10)).clip(0, 255).astype(np.uint8)
    return rgb, ir


def collate(batch):
    """(images [N, 6, S, S], labels [M, 6], indices) and, from a dataset with mask_conditions, masks [N, 1, S, S]."""
    imgs, labels, idx, *masks = zip(*batch)
    for k, lb in enumerate(labels):
        lb[:, 0] = k
    out = (torch.stack(imgs), torch.cat(labels), list(idx))
    return out + (torch.stack(masks[0]),) if masks else out
