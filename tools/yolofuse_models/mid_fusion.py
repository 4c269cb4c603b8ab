"""YOLOFuse-style mid-level feature fusion detector built from YOLO11 blocks.

Two identical backbones (RGB, IR) fused by channel concat at P3/P4/P5, then a YOLO11 PAN
head. Channel numbers at width 1.0 are the scale-n table in shared/yolofuse-architectures.md.
"""
import torch
import torch.nn as nn

from .blocks import C2PSA, C3k2, SPPF, Conv, Detect, ch

class Backbone11(nn.Module):
    """One modality's YOLO11 backbone; returns (P3, P4, P5)."""

    def __init__(self, w):
        super().__init__()
        c = lambda v: ch(v, w)
        self.stem = nn.Sequential(Conv(3, c(8), 3, 2), Conv(c(8), c(16), 3, 2),
                                  C3k2(c(16), c(32), 1, False, 0.25))            # P2
        self.p3 = nn.Sequential(Conv(c(32), c(32), 3, 2), C3k2(c(32), c(64), 1, False, 0.25))
        self.p4 = nn.Sequential(Conv(c(64), c(64), 3, 2), C3k2(c(64), c(64), 1, True))
        self.p5 = nn.Sequential(Conv(c(64), c(128), 3, 2), C3k2(c(128), c(128), 1, True),
                                SPPF(c(128), c(128), 5), C2PSA(c(128), c(128), 1))

    def forward(self, x):
        p3 = self.p3(self.stem(x))
        p4 = self.p4(p3)
        return p3, p4, self.p5(p4)


class MidFusionYOLO(nn.Module):
    """Input [N, 6, H, W] (RGB channels 0-2, IR 3-5); output [N, 4 + nc, anchors]."""

    fusion, modality, channels = "mid", "rgb+ir", 6

    def __init__(self, nc=80, width=1.0, stream_widths=None):
        super().__init__()
        # Concat widths are written as sums of their parts so any width multiplier stays consistent.
        # stream_widths (rgb, ir) sizes each backbone apart from the head: a modality that carries more
        # of the scene can get more of a fixed parameter budget.
        wr, wi = stream_widths or (width, width)
        c, r, i = (lambda v: ch(v, width)), (lambda v: ch(v, wr)), (lambda v: ch(v, wi))
        self.nc = nc
        self.rgb = Backbone11(wr)
        self.ir = Backbone11(wi)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        f3, f4, f5 = r(64) + i(64), r(64) + i(64), r(128) + i(128)  # fused P3, P4, P5
        self.h30 = C3k2(f5 + f4, c(64), 1, False)            # fused P5 up + fused P4
        self.h33 = C3k2(c(64) + f3, c(32), 1, False)         # up + fused P3 -> P3 out
        self.h34 = Conv(c(32), c(32), 3, 2)
        self.h36 = C3k2(c(32) + c(64), c(64), 1, False)      # -> P4 out
        self.h37 = Conv(c(64), c(64), 3, 2)
        self.h39 = C3k2(c(64) + f5, c(128), 1, True)         # -> P5 out
        self.detect = Detect(nc, (c(32), c(64), c(128)), style="v11", width=width)

    def forward_pair(self, rgb, ir):
        r3, r4, r5 = self.rgb(rgb)
        i3, i4, i5 = self.ir(ir)
        f3, f4, f5 = torch.cat((r3, i3), 1), torch.cat((r4, i4), 1), torch.cat((r5, i5), 1)
        h30 = self.h30(torch.cat((self.up(f5), f4), 1))
        p3 = self.h33(torch.cat((self.up(h30), f3), 1))
        p4 = self.h36(torch.cat((self.h34(p3), h30), 1))
        p5 = self.h39(torch.cat((self.h37(p4), f5), 1))
        return self.detect([p3, p4, p5])

    def forward(self, x):
        return self.forward_pair(x[:, :3], x[:, 3:])


class TwoInput(nn.Module):
    """Same network exported with separate `rgb` and `ir` inputs, each [N, 3, H, W]."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.fusion, self.modality, self.channels, self.nc = model.fusion, model.modality, 6, model.nc

    def forward(self, rgb, ir):
        return self.model.forward_pair(rgb, ir)
