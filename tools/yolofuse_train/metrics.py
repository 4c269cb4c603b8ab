"""NMS and COCO-style detection metrics (mAP50, mAP50-95), own implementation.

Matching follows COCO: per image and class, detections in descending score each take the
unmatched ground truth they overlap most, if IoU >= threshold. AP per class and threshold is
the area under the interpolated precision envelope sampled at 101 recall points (0, 0.01, ...,
1). mAP averages classes that have ground truth; mAP50-95 also averages thresholds 0.50:0.05:0.95.
"""
import numpy as np
import torch

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def xywh2xyxy(b):
    out = b.clone()
    out[..., :2] = b[..., :2] - b[..., 2:] / 2
    out[..., 2:] = b[..., :2] + b[..., 2:] / 2
    return out


def box_iou(a, b):
    """[n, 4] x [m, 4] xyxy -> [n, m] (numpy)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).prod(-1)
    return inter / (area_a[:, None] + area_b[None] - inter + 1e-9)


def nms(output, conf=0.25, iou=0.45, max_det=300, max_candidates=10000, multi_label=True):
    """output [N, 4 + nc, A] (the model/ONNX contract) -> list of [k, 6] (x1, y1, x2, y2, score,
    class) tensors. Class-aware greedy NMS; multi_label keeps every class above conf per anchor
    (as evaluation protocols do); otherwise only the best class."""
    results = []
    for o in output:
        o = o.transpose(0, 1)                      # [A, 4 + nc]
        boxes, scores = xywh2xyxy(o[:, :4]), o[:, 4:]
        if multi_label:
            i, j = (scores > conf).nonzero(as_tuple=True)
            b, s, c = boxes[i], scores[i, j], j
        else:
            s, c = scores.max(1)
            keep = s > conf
            b, s, c = boxes[keep], s[keep], c[keep]
        if s.numel() > max_candidates:
            top = s.topk(max_candidates).indices
            b, s, c = b[top], s[top], c[top]
        keep = _greedy_nms(b, s, c, iou, max_det)
        results.append(torch.cat((b[keep], s[keep, None], c[keep, None].float()), 1))
    return results


def _greedy_nms(boxes, scores, classes, thr, max_det):
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long)
    # Offset boxes by class so one pass never suppresses across classes.
    off = boxes + classes[:, None].float() * (boxes.max() + 1)
    b = off.double().numpy()
    order = scores.double().numpy().argsort()[::-1]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    keep = []
    while order.size and len(keep) < max_det:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        lt = np.maximum(b[i, :2], b[rest, :2])
        rb = np.minimum(b[i, 2:], b[rest, 2:])
        inter = np.clip(rb - lt, 0, None).prod(-1)
        ov = inter / (area[i] + area[rest] - inter + 1e-9)
        order = rest[ov <= thr]
    return torch.as_tensor(np.array(keep, dtype=np.int64))


def match_image(det, gt):
    """det [k, 6] numpy (xyxy, score, class), gt [m, 5] numpy (class, xyxy).
    Returns tp [k, 10] bool for IoU thresholds 0.50:0.95 (COCO greedy by score)."""
    tp = np.zeros((len(det), len(IOU_THRESHOLDS)), bool)
    if not len(det) or not len(gt):
        return tp
    ious = box_iou(det[:, :4], gt[:, 1:])
    ious[det[:, 5][:, None] != gt[:, 0][None, :]] = 0.0
    order = np.argsort(-det[:, 4], kind="stable")
    # Detections overlapping no GT by 0.5 can never match: skip them (most of the 300).
    order = order[ious[order].max(1) >= IOU_THRESHOLDS[0]]
    for t, thr in enumerate(IOU_THRESHOLDS):
        taken = np.zeros(len(gt), bool)
        for i in order:
            row = np.where(taken, 0.0, ious[i])
            j = int(row.argmax())
            if row[j] >= thr:
                taken[j] = True
                tp[i, t] = True
    return tp


def ap_101(tp, scores, n_gt):
    """AP per threshold for one class: tp [k, T] bool, scores [k], n_gt -> [T]."""
    if n_gt == 0:
        return None
    if len(scores) == 0:
        return np.zeros(tp.shape[1])
    order = np.argsort(-scores, kind="stable")
    tp = tp[order]
    ctp = np.cumsum(tp, 0)
    cfp = np.cumsum(~tp, 0)
    recall = ctp / n_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-9)
    # Envelope: precision made non-increasing from the right.
    precision = np.maximum.accumulate(precision[::-1], 0)[::-1]
    rs = np.linspace(0, 1, 101)
    ap = np.zeros(tp.shape[1])
    for t in range(tp.shape[1]):
        idx = np.searchsorted(recall[:, t], rs, side="left")
        p = np.where(idx < len(recall), precision[np.minimum(idx, len(recall) - 1), t], 0.0)
        ap[t] = p.mean()
    return ap


class DetectionMetrics:
    """Accumulates per-image matches, then reports mAP overall, per class and per group
    (e.g. scene condition)."""

    def __init__(self, nc, names=None):
        self.nc, self.names = nc, names or [str(i) for i in range(nc)]
        self.records = []  # (tp [k, T], scores [k], classes [k], gt classes [m], group)

    def add(self, det, gt, group=""):
        det = det.detach().cpu().numpy() if torch.is_tensor(det) else det
        gt = gt.detach().cpu().numpy() if torch.is_tensor(gt) else gt
        self.records.append((match_image(det, gt), det[:, 4], det[:, 5].astype(int), gt[:, 0].astype(int), group))

    def _aps(self, records):
        if not records:
            return {}
        tp = np.concatenate([r[0] for r in records])
        sc = np.concatenate([r[1] for r in records])
        cl = np.concatenate([r[2] for r in records])
        gc = np.concatenate([r[3] for r in records])
        out = {}
        for c in range(self.nc):
            ap = ap_101(tp[cl == c], sc[cl == c], int((gc == c).sum()))
            if ap is not None:
                out[c] = ap
        return out

    def summary(self):
        aps = self._aps(self.records)
        res = {"mAP50": 0.0, "mAP50-95": 0.0, "per_class_AP50": {}, "per_group_mAP50": {}}
        if aps:
            arr = np.stack(list(aps.values()))
            res["mAP50"], res["mAP50-95"] = float(arr[:, 0].mean()), float(arr.mean())
            res["per_class_AP50"] = {self.names[c]: float(v[0]) for c, v in aps.items()}
        for g in sorted({r[4] for r in self.records if r[4]}):
            ga = self._aps([r for r in self.records if r[4] == g])
            if ga:
                res["per_group_mAP50"][g] = float(np.mean([v[0] for v in ga.values()]))
        return res
