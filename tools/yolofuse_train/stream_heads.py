"""Training-only detection heads on each stream of a mid fusion model.

A fused detector can lean on whichever modality is easier in most scenes and leave the other stream under-trained
(modality imbalance): here IR carries night, fog and glare, and the RGB stream is then weaker by day than an RGB-only
network. A head on each backbone's own P3-P5 features, with its own detection loss, makes every stream detect on its
own as well. The heads are not part of the model: checkpoints keep them apart and exports never see them.
"""
import torch
import torch.nn as nn

from yolofuse_models.blocks import Detect

from .loss import DetectionLoss, init_detect_bias


class StreamHeads(nn.Module):
    STREAMS = ("rgb", "ir")

    def __init__(self, model, nc, imgsz):
        super().__init__()
        with torch.no_grad():
            was_training = model.training
            model.eval()
            probe = model.rgb(torch.zeros(1, 3, 64, 64, device=next(model.parameters()).device))
            model.train(was_training)
        channels = tuple(f.shape[1] for f in probe)
        self.heads = nn.ModuleDict({s: Detect(nc, channels, style="v11") for s in self.STREAMS})
        for head in self.heads.values():
            init_detect_bias(head, imgsz)
        self.criteria = {s: DetectionLoss(self.heads[s]) for s in self.STREAMS}
        self.features = {}

    def attach(self, model):
        """Keeps each stream's (P3, P4, P5) from the model's training forward passes."""
        def keep(stream):
            def hook(module, _, output):
                if module.training:
                    self.features[stream] = output
            return hook
        for s in self.STREAMS:
            getattr(model, s).register_forward_hook(keep(s))

    def loss(self, targets):
        """Mean of the streams' detection losses on the features of the last training forward pass."""
        total = 0.0
        for s in self.STREAMS:
            total = total + self.criteria[s](self.heads[s](list(self.features.pop(s))), targets)[0]
        return total / len(self.STREAMS)
