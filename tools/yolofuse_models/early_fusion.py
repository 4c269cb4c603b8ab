"""YOLOFuse-style early feature fusion detector built from YOLOv8 blocks.

RGB and IR stems fuse at P2; the fused stream and a separate IR stream are concatenated again
at P3/P4/P5, then a YOLOv8 PAN head. Width 1.0 is the scale-n table in
shared/yolofuse-architectures.md.
"""
import torch
import torch.nn as nn

from .blocks import C2f, SPPF, Conv, Detect, ch

class EarlyFusionYOLO(nn.Module):
    fusion, modality, channels = "early", "rgb+ir", 6

    def __init__(self, nc=80, width=1.0):
        super().__init__()
        # Concat widths are written as sums of their parts so any width multiplier stays consistent.
        c = lambda v: ch(v, width)
        self.nc = nc
        # P2: both stems, first fusion
        self.rgb_stem = nn.Sequential(Conv(3, c(8), 3, 2), Conv(c(8), c(16), 3, 2), C2f(c(16), c(16), 1, True))
        self.ir_stem = nn.Sequential(Conv(3, c(8), 3, 2), Conv(c(8), c(16), 3, 2), C2f(c(16), c(16), 1, True))
        # P3..P5: fused stream (f*) and IR stream (i*)
        self.f3 = nn.Sequential(Conv(2 * c(16), c(32), 3, 2), C2f(c(32), c(32), 2, True))
        self.i3 = nn.Sequential(Conv(c(16), c(32), 3, 2), C2f(c(32), c(32), 2, True))
        self.f4 = nn.Sequential(Conv(2 * c(32), c(64), 3, 2), C2f(c(64), c(64), 2, True))
        self.i4 = nn.Sequential(Conv(c(32), c(64), 3, 2), C2f(c(64), c(64), 2, True))
        self.f5 = nn.Sequential(Conv(2 * c(64), c(128), 3, 2), C2f(c(128), c(128), 1, True))
        self.i5 = nn.Sequential(Conv(c(64), c(128), 3, 2), C2f(c(128), c(128), 1, True))
        self.sppf = SPPF(2 * c(128), c(128), 5)
        # YOLOv8 PAN head (C2f without shortcut)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h28 = C2f(c(128) + 2 * c(64), c(128), 1)
        self.h31 = C2f(c(128) + 2 * c(32), c(64), 1)          # P3 out
        self.h32 = Conv(c(64), c(64), 3, 2)
        self.h34 = C2f(c(64) + c(128), c(128), 1)         # P4 out
        self.h35 = Conv(c(128), c(128), 3, 2)
        self.h37 = C2f(c(128) + c(128), c(256), 1)        # P5 out
        self.detect = Detect(nc, (c(64), c(128), c(256)), style="v8", width=width)

    def forward_pair(self, rgb, ir):
        r2, i2 = self.rgb_stem(rgb), self.ir_stem(ir)
        x9 = torch.cat((r2, i2), 1)
        i3 = self.i3(i2)
        x14 = torch.cat((self.f3(x9), i3), 1)
        i4 = self.i4(i3)
        x19 = torch.cat((self.f4(x14), i4), 1)
        i5 = self.i5(i4)
        x25 = self.sppf(torch.cat((self.f5(x19), i5), 1))
        h28 = self.h28(torch.cat((self.up(x25), x19), 1))
        p3 = self.h31(torch.cat((self.up(h28), x14), 1))
        p4 = self.h34(torch.cat((self.h32(p3), h28), 1))
        p5 = self.h37(torch.cat((self.h35(p4), x25), 1))
        return self.detect([p3, p4, p5])

    def forward(self, x):
        return self.forward_pair(x[:, :3], x[:, 3:])
