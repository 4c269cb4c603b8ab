"""Detection loss of the anchor-free DFL head, written from the published YOLOv8 / TOOD design.

  * Assignment: task-aligned (TAL). For each ground-truth box, candidate anchors are those
    whose centre lies inside the box; each candidate gets the alignment metric
    t = s^alpha * IoU^beta (s = predicted score of the GT class, IoU of the predicted box with
    the GT; alpha 0.5, beta 6); the top-k (10) candidates are positives. An anchor claimed by
    several GTs goes to the one it overlaps most. Soft class targets are t normalised per GT
    so that its best anchor's target equals that GT's best IoU.
  * Class loss: BCE with logits against the soft targets, summed, divided by the sum of targets.
  * Box loss: 1 - CIoU on positives, weighted by the anchor's target score.
  * DFL: the box is four distances (l, t, r, b) in stride units, each a 16-bin distribution;
    cross-entropy against the two bins around the target distance, linearly weighted.
  Total = 7.5 box + 0.5 cls + 1.5 dfl (published gains), times the batch size.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def make_anchors(feats, strides, offset=0.5):
    """Cell centres in grid units [A, 2] and each anchor's stride [A, 1], level by level."""
    points, stride_t = [], []
    for f, s in zip(feats, strides):
        h, w = f.shape[2:]
        sx = torch.arange(w, device=f.device, dtype=f.dtype) + offset
        sy = torch.arange(h, device=f.device, dtype=f.dtype) + offset
        sy, sx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride_t.append(torch.full((h * w, 1), float(s), device=f.device, dtype=f.dtype))
    return torch.cat(points), torch.cat(stride_t)


def box_iou_xyxy(b1, b2, ciou=False, eps=1e-7):
    """IoU (or CIoU) of broadcastable [..., 4] xyxy boxes -> [...]."""
    x1, y1, x2, y2 = b1.unbind(-1)
    X1, Y1, X2, Y2 = b2.unbind(-1)
    w1, h1 = (x2 - x1).clamp(min=eps), (y2 - y1).clamp(min=eps)
    w2, h2 = (X2 - X1).clamp(min=eps), (Y2 - Y1).clamp(min=eps)
    inter = (torch.min(x2, X2) - torch.max(x1, X1)).clamp(0) * (torch.min(y2, Y2) - torch.max(y1, Y1)).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    if not ciou:
        return iou
    # CIoU = IoU - centre distance^2 / enclosing diagonal^2 - alpha * v (aspect-ratio term).
    cw = torch.max(x2, X2) - torch.min(x1, X1)
    ch = torch.max(y2, Y2) - torch.min(y1, Y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((X1 + X2 - x1 - x2) ** 2 + (Y1 + Y2 - y1 - y2) ** 2) / 4
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class TaskAlignedAssigner:
    def __init__(self, nc, topk=10, alpha=0.5, beta=6.0, eps=1e-9):
        self.nc, self.topk, self.alpha, self.beta, self.eps = nc, topk, alpha, beta, eps

    @torch.no_grad()
    def __call__(self, pd_scores, pd_boxes, anchors, gt_labels, gt_boxes, mask_gt):
        """pd_scores [b, A, nc] (sigmoid), pd_boxes [b, A, 4] and anchors [A, 2] in pixels,
        gt_labels [b, n, 1], gt_boxes [b, n, 4] xyxy pixels, mask_gt [b, n, 1] (1 = real GT).
        Returns target labels [b, A], boxes [b, A, 4], scores [b, A, nc], fg mask [b, A]."""
        b, A, _ = pd_scores.shape
        n = gt_boxes.shape[1]
        dev = pd_scores.device
        if n == 0:
            return (torch.zeros(b, A, dtype=torch.long, device=dev), torch.zeros(b, A, 4, device=dev),
                    torch.zeros_like(pd_scores), torch.zeros(b, A, dtype=torch.bool, device=dev))
        # Candidates: anchor centres strictly inside the GT box.
        lt = anchors[None, None] - gt_boxes[:, :, None, :2]
        rb = gt_boxes[:, :, None, 2:] - anchors[None, None]
        in_gt = torch.cat((lt, rb), -1).amin(-1) > self.eps                     # [b, n, A]
        cand = in_gt & mask_gt.bool()
        # Alignment metric on candidates only.
        labels = gt_labels.squeeze(-1).long().clamp(0, self.nc - 1)                # [b, n]
        scores = pd_scores.gather(2, labels[:, None, :].expand(-1, A, -1)).transpose(1, 2)  # [b, n, A]
        ious = box_iou_xyxy(gt_boxes[:, :, None, :], pd_boxes[:, None, :, :]).clamp(0)      # [b, n, A]
        ious = ious * cand
        metric = scores.pow(self.alpha) * ious.pow(self.beta) * cand
        # Top-k candidates per GT.
        k = min(self.topk, A)
        top_idx = metric.topk(k, dim=-1).indices                                     # [b, n, k]
        topk_mask = torch.zeros_like(cand).scatter_(-1, top_idx, True)
        pos = topk_mask & cand                                                       # [b, n, A]
        # One GT per anchor: the one with the highest IoU.
        multi = pos.sum(1) > 1                                                       # [b, A]
        if multi.any():
            best = ious.argmax(1)                                                    # [b, A]
            best_mask = F.one_hot(best, n).transpose(1, 2).bool()                    # [b, n, A]
            pos = torch.where(multi[:, None, :], best_mask & pos.any(1, keepdim=True), pos)
        fg = pos.any(1)                                                              # [b, A]
        gt_idx = pos.float().argmax(1)                                               # [b, A]
        t_labels = labels.gather(1, gt_idx)
        t_boxes = gt_boxes.gather(1, gt_idx[..., None].expand(-1, -1, 4))
        # Soft targets: metric scaled so each GT's best anchor reaches that GT's best IoU.
        metric = metric * pos
        max_metric = metric.amax(-1, keepdim=True)
        max_iou = (ious * pos).amax(-1, keepdim=True)
        norm = (metric * max_iou / (max_metric + self.eps)).amax(1)                  # [b, A]
        t_scores = F.one_hot(t_labels, self.nc).float() * (norm * fg)[..., None]
        return t_labels, t_boxes, t_scores, fg


class DetectionLoss:
    def __init__(self, detect, box=7.5, cls=0.5, dfl=1.5, topk=10, alpha=0.5, beta=6.0):
        self.nc, self.reg_max = detect.nc, detect.reg_max
        self.strides = detect.strides
        self.gains = (box, cls, dfl)
        self.assigner = TaskAlignedAssigner(self.nc, topk, alpha, beta)
        self.proj = torch.arange(self.reg_max, dtype=torch.float32)

    def decode(self, anchors, dist):
        """[b, A, 4*reg_max] logits -> xyxy boxes in grid units (expected value per side)."""
        b, A, _ = dist.shape
        d = dist.view(b, A, 4, self.reg_max).softmax(-1) @ self.proj.to(dist.device, dist.dtype)
        return torch.cat((anchors - d[..., :2], anchors + d[..., 2:]), -1)

    def _targets(self, targets, b, device):
        """[M, 6] (image, class, x1, y1, x2, y2) -> padded [b, n, 1], [b, n, 4], mask [b, n, 1]."""
        if targets.shape[0] == 0:
            return (torch.zeros(b, 0, 1, device=device), torch.zeros(b, 0, 4, device=device),
                    torch.zeros(b, 0, 1, device=device))
        img = targets[:, 0].long()
        counts = torch.bincount(img, minlength=b)
        n = int(counts.max())
        labels = torch.zeros(b, n, 1, device=device)
        boxes = torch.zeros(b, n, 4, device=device)
        mask = torch.zeros(b, n, 1, device=device)
        for i in range(b):
            sel = img == i
            k = int(sel.sum())
            if k:
                labels[i, :k, 0] = targets[sel, 1]
                boxes[i, :k] = targets[sel, 2:6]
                mask[i, :k] = 1
        return labels, boxes, mask

    def __call__(self, feats, targets):
        """feats: Detect's training output (list of [b, 4*reg_max + nc, h, w]); targets [M, 6].
        Returns (loss to backpropagate, detached [box, cls, dfl])."""
        b = feats[0].shape[0]
        dev = feats[0].device
        x = torch.cat([f.view(b, f.shape[1], -1) for f in feats], 2).transpose(1, 2)  # [b, A, no]
        dist, logits = x.split((4 * self.reg_max, self.nc), -1)
        anchors, stride = make_anchors(feats, self.strides)
        pred_boxes = self.decode(anchors, dist)                                       # grid units
        gt_labels, gt_boxes, mask_gt = self._targets(targets.to(dev), b, dev)
        _, t_boxes, t_scores, fg = self.assigner(
            logits.detach().sigmoid(), (pred_boxes.detach() * stride).to(gt_boxes.dtype),
            anchors * stride, gt_labels, gt_boxes, mask_gt)
        norm = t_scores.sum().clamp(min=1.0)
        self.last_norm = norm.detach()  # distillation (distill.py) divides by the same
        l_cls = F.binary_cross_entropy_with_logits(logits, t_scores.to(logits.dtype), reduction="sum") / norm
        l_box = torch.zeros((), device=dev)
        l_dfl = torch.zeros((), device=dev)
        if fg.any():
            t_boxes = t_boxes / stride  # to grid units
            w = t_scores.sum(-1)[fg][:, None]
            iou = box_iou_xyxy(pred_boxes[fg], t_boxes[fg], ciou=True)
            l_box = ((1.0 - iou)[:, None] * w).sum() / norm
            # DFL on the four distances from the anchor to the target's sides.
            a = anchors[None].expand(b, -1, -1)[fg]
            tb = t_boxes[fg]
            t_ltrb = torch.cat((a - tb[:, :2], tb[:, 2:] - a), -1).clamp(0, self.reg_max - 1 - 0.01)
            l_dfl = (self._dfl(dist[fg].view(-1, self.reg_max), t_ltrb.view(-1)).view(-1, 4).mean(-1, keepdim=True)
                     * w).sum() / norm
        gb, gc, gd = self.gains
        total = (gb * l_box + gc * l_cls + gd * l_dfl) * b
        return total, torch.stack((l_box, l_cls, l_dfl)).detach()

    @staticmethod
    def _dfl(logits, target):
        left = target.long()
        wl = left + 1 - target
        return (F.cross_entropy(logits, left, reduction="none") * wl
                + F.cross_entropy(logits, left + 1, reduction="none") * (1 - wl))


def init_detect_bias(detect, imgsz):
    """Start box logits at 1 and class logits at the prior of ~5 objects per image spread over
    each level's cells (the published YOLOv8 initialisation), so early BCE is not dominated by
    thousands of confident false positives."""
    for i, s in enumerate(detect.strides):
        box_conv, cls_conv = detect.cv2[i][-1], detect.cv3[i][-1]
        nn.init.constant_(box_conv.bias, 1.0)
        nn.init.constant_(cls_conv.bias, math.log(5 / detect.nc / (imgsz / s) ** 2))
