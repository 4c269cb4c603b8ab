"""Own PyTorch definitions of YOLOFuse-style RGB+IR detectors and YOLOv8 (no AGPL code)."""
from .blocks import fuse
from .early_fusion import EarlyFusionYOLO
from .mid_fusion import MidFusionYOLO, TwoInput
from .single_stream import SingleStream
from .yolov8 import YOLOv8

# Width relative to scale n (n = the published YOLOFuse / YOLOv8n channel numbers).
#   h: half of n.  t: the committed test-fixture scale. Half width made the seven fixtures
#   ~14.6 MB, so t uses 0.3, which keeps them near 5 MB and also yields channel counts that are
#   not multiples of 4 (5, 10, 19, 38, 77), exercising kernel remainder paths.
SCALES = {"n": 1.0, "h": 0.5, "t": 0.3}
ARCHS = {"mid": MidFusionYOLO, "early": EarlyFusionYOLO, "yolov8": YOLOv8,
         # Single-modality twins: a YOLOv8 stream behind the 6-channel input (single_stream.py).
         "rgb": lambda nc, width: SingleStream(nc, width, "rgb"),
         "ir": lambda nc, width: SingleStream(nc, width, "ir")}


def build(arch, scale="n", nc=80, two_inputs=False, width=None, stream_widths=None):
    width = SCALES[scale] if width is None else width
    if stream_widths:
        if arch != "mid":
            raise ValueError("stream widths exist only for mid fusion (one backbone per modality)")
        model = MidFusionYOLO(nc=nc, width=width, stream_widths=stream_widths)
    else:
        model = ARCHS[arch](nc=nc, width=width)
    if two_inputs:
        if not hasattr(model, "forward_pair"):
            raise ValueError("two-input form only exists for the RGB+IR fusion models")
        model = TwoInput(model)
    return model


def build_from_meta(meta):
    """The architecture a tools/train.py checkpoint's metadata describes (checkpoints from before per-stream
    widths have no such key)."""
    return build(meta["arch"], nc=meta["nc"], width=meta["width"], stream_widths=meta.get("stream_widths"))
