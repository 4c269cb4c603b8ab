"""Class-score distillation from a single-modality teacher, in the scenes where that modality is the expert.

By day the RGB twin finds people that mid fusion doubts: a person in RGB with nothing in IR is a decoy at night, in
fog and in glare, but by day, in thermal crossover, it is most people. The hard labels say only "person" or
"nothing"; the teacher's scores over every anchor carry how sure an RGB-only detector can be of each, which is what
mid fusion should match by day. Where the teacher's modality fails (RGB at night), its scores would teach the wrong
doubt, so each training pixel weighs the teacher by its scene's condition (PairDataset's condition masks, which
follow mosaic, scale and flip).

The teacher is frozen, in eval mode (its BatchNorm statistics as trained), and never part of the model or its
checkpoints.
"""
import torch
import torch.nn.functional as F

from yolofuse_models import build_from_meta


def load_teacher(path, device):
    """A trained checkpoint's EMA weights as a frozen detector returning raw per-level maps."""
    src = torch.load(path, map_location="cpu", weights_only=False)
    teacher = build_from_meta(src["meta"])
    teacher.load_state_dict(src["ema"] or src["model"])
    teacher.to(device).eval()
    teacher.detect.training = True  # raw [N, 4*reg_max + nc, h, w] maps, BatchNorm still in eval mode
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher, src["meta"]


class ScoreDistillation:
    def __init__(self, teacher, nc, reg_max, strides):
        self.teacher, self.nc, self.reg_max, self.strides = teacher, nc, reg_max, strides

    def loss(self, x, student_feats, mask, norm):
        """BCE of the student's class logits against the teacher's scores, per anchor weighted by the share of
        its cell whose scene is a teacher condition (mask [N, 1, S, S] in 0..1), summed and divided by norm
        (the hard class loss's normaliser, so the two are on one scale)."""
        with torch.no_grad():
            teacher_feats = self.teacher(x)
        total = x.new_zeros(())
        for s, fs, ft in zip(self.strides, student_feats, teacher_feats):
            w = F.avg_pool2d(mask, int(s))                                           # [N, 1, h, w]
            if not w.any():
                continue
            ls = fs[:, 4 * self.reg_max:]
            pt = ft[:, 4 * self.reg_max:].sigmoid()
            total = total + (F.binary_cross_entropy_with_logits(ls, pt, reduction="none") * w).sum()
        return total / norm
