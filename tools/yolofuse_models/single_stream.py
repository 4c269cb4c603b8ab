"""Single-modality twins of the fusion models, with the same 6-channel input contract.

A YOLOv8 stream that reads only its half of the [N, 6, H, W] input (RGB = channels 0-2, IR =
3-5, the IR image replicated to 3 channels as YOLOFuse does), so RGB-only, IR-only and fusion
models are interchangeable behind one preprocessing path and can be compared on equal terms.
"""
import torch.nn as nn

from .yolov8 import YOLOv8


class SingleStream(nn.Module):
    fusion, channels = "none", 6

    def __init__(self, nc=80, width=1.0, modality="rgb"):
        super().__init__()
        if modality not in ("rgb", "ir"):
            raise ValueError(modality)
        self.modality, self.nc = modality, nc
        self.model = YOLOv8(nc=nc, width=width)
        self.lo = 0 if modality == "rgb" else 3

    @property
    def detect(self):
        return self.model.detect

    def forward(self, x):
        return self.model(x[:, self.lo:self.lo + 3])
