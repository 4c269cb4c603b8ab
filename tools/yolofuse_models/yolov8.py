"""Plain YOLOv8 detector (RGB only, 3-channel input). Width 1.0 = YOLOv8n channel numbers."""
import torch
import torch.nn as nn

from .blocks import C2f, SPPF, Conv, Detect, ch

class YOLOv8(nn.Module):
    fusion, modality, channels = "none", "rgb", 3

    def __init__(self, nc=80, width=1.0):
        super().__init__()
        c = lambda v: ch(v, width)
        self.nc = nc
        self.p3 = nn.Sequential(Conv(3, c(16), 3, 2), Conv(c(16), c(32), 3, 2), C2f(c(32), c(32), 1, True),
                                Conv(c(32), c(64), 3, 2), C2f(c(64), c(64), 2, True))
        self.p4 = nn.Sequential(Conv(c(64), c(128), 3, 2), C2f(c(128), c(128), 2, True))
        self.p5 = nn.Sequential(Conv(c(128), c(256), 3, 2), C2f(c(256), c(256), 1, True), SPPF(c(256), c(256), 5))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h12 = C2f(c(256) + c(128), c(128), 1)
        self.h15 = C2f(c(128) + c(64), c(64), 1)          # P3 out
        self.h16 = Conv(c(64), c(64), 3, 2)
        self.h18 = C2f(c(64) + c(128), c(128), 1)         # P4 out
        self.h19 = Conv(c(128), c(128), 3, 2)
        self.h21 = C2f(c(128) + c(256), c(256), 1)        # P5 out
        self.detect = Detect(nc, (c(64), c(128), c(256)), style="v8", width=width)

    def forward(self, x):
        p3 = self.p3(x)
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        h12 = self.h12(torch.cat((self.up(p5), p4), 1))
        o3 = self.h15(torch.cat((self.up(h12), p3), 1))
        o4 = self.h18(torch.cat((self.h16(o3), h12), 1))
        o5 = self.h21(torch.cat((self.h19(o4), p5), 1))
        return self.detect([o3, o4, o5])
