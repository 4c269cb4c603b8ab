"""Building blocks of YOLOv8 / YOLO11 detectors, written from the published designs.

Own implementation (no Ultralytics / YOLOFuse code). Module layouts follow the published
architecture so that parameter counts and ONNX graphs look like real exports.
"""
import math

import torch
import torch.nn as nn


def autopad(k, d=1):
    # "same" padding for odd kernels, so stride-2 convs halve H and W exactly.
    return d * (k - 1) // 2


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + SiLU, the basic YOLO unit."""

    def __init__(self, c1, c2, k=1, s=1, g=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k), groups=g, bias=False)
        # eps/momentum as used by the YOLO family (exporters fold these into the conv).
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

    @torch.no_grad()
    def fuse_bn(self):
        # Fold BN into conv weight/bias: y = gamma*(Wx - mean)/sqrt(var+eps) + beta.
        if isinstance(self.bn, nn.Identity):
            return
        c, bn = self.conv, self.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding,
                          dilation=c.dilation, groups=c.groups, bias=True)
        fused.weight.copy_(c.weight * scale.reshape(-1, 1, 1, 1))
        fused.bias.copy_(bn.bias - bn.running_mean * scale)
        self.conv = fused
        self.bn = nn.Identity()


class DWConv(Conv):
    """Depthwise conv (groups = gcd(c1, c2)), used in the YOLO11 class branch."""

    def __init__(self, c1, c2, k=1, s=1, act=True):
        super().__init__(c1, c2, k, s, g=math.gcd(c1, c2), act=act)


class Bottleneck(nn.Module):
    """Two convs with optional residual (residual only when shapes match)."""

    def __init__(self, c1, c2, shortcut=True, k=(3, 3), e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0])
        self.cv2 = Conv(c_, c2, k[1])
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8 CSP block: split in two, chain n bottlenecks on one half, concat every stage."""

    def __init__(self, c1, c2, n=1, shortcut=False, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(self._inner(shortcut) for _ in range(n))

    def _inner(self, shortcut):
        return Bottleneck(self.c, self.c, shortcut, k=(3, 3), e=1.0)

    def forward(self, x):
        # split (not chunk) -> a single ONNX Split node, like real exports.
        y = list(self.cv1(x).split((self.c, self.c), 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class C3(nn.Module):
    """CSP bottleneck with 3 convs (base of C3k)."""

    def __init__(self, c1, c2, n=1, shortcut=True, e=0.5, k=3):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c1, c_, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, k=(k, k), e=1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k(C3):
    """YOLO11 C3 variant with configurable bottleneck kernel (3x3 here)."""

    def __init__(self, c1, c2, n=2, shortcut=True, e=0.5, k=3):
        super().__init__(c1, c2, n, shortcut, e, k)


class C3k2(C2f):
    """YOLO11 C2f variant: inner blocks are C3k (n=2 bottlenecks) when c3k, else a Bottleneck.

    Unlike C2f, the plain inner Bottleneck keeps its default e=0.5 (hidden = c/2); this is what
    gives YOLO11n its published 2.62 M parameters.
    """

    def __init__(self, c1, c2, n=1, c3k=False, e=0.5, shortcut=True):
        self.c3k = c3k
        super().__init__(c1, c2, n, shortcut, e)

    def _inner(self, shortcut):
        if self.c3k:
            return C3k(self.c, self.c, 2, shortcut)
        return Bottleneck(self.c, self.c, shortcut, k=(3, 3), e=0.5)


class SPPF(nn.Module):
    """Spatial pyramid pooling (fast): three chained 5x5 max-pools, concat, 1x1 conv."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Attention(nn.Module):
    """YOLO11 multi-head self-attention over all H*W positions, with a depthwise positional term."""

    def __init__(self, dim, num_heads=8, attn_ratio=0.5):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim ** -0.5
        h = dim + 2 * self.key_dim * num_heads  # q, k (key_dim each) and v (head_dim) per head
        self.qkv = Conv(dim, h, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 3, 1, g=dim, act=False)

    def forward(self, x):
        b, c, h, w = x.shape
        n = h * w
        qkv = self.qkv(x).view(b, self.num_heads, self.key_dim * 2 + self.head_dim, n)
        q, k, v = qkv.split([self.key_dim, self.key_dim, self.head_dim], dim=2)
        attn = ((q.transpose(-2, -1) @ k) * self.scale).softmax(dim=-1)  # [b, heads, n, n]
        out = (v @ attn.transpose(-2, -1)).view(b, c, h, w) + self.pe(v.reshape(b, c, h, w))
        return self.proj(out)


class PSABlock(nn.Module):
    """Attention + 2-layer 1x1 FFN, each with a residual."""

    def __init__(self, c, attn_ratio=0.5, num_heads=4):
        super().__init__()
        self.attn = Attention(c, num_heads=num_heads, attn_ratio=attn_ratio)
        self.ffn = nn.Sequential(Conv(c, c * 2, 1), Conv(c * 2, c, 1, act=False))

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.ffn(x)


class C2PSA(nn.Module):
    """YOLO11 C2 block whose second half goes through n PSABlocks."""

    def __init__(self, c1, c2, n=1, e=0.5):
        super().__init__()
        assert c1 == c2
        self.c = int(c1 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv(2 * self.c, c1, 1)
        self.m = nn.Sequential(*(PSABlock(self.c, 0.5, max(1, self.c // 64)) for _ in range(n)))

    def forward(self, x):
        a, b = self.cv1(x).split((self.c, self.c), 1)
        return self.cv2(torch.cat((a, self.m(b)), 1))


class DFL(nn.Module):
    """Distribution focal loss decoder: expected value of a 16-bin softmax, as a fixed 1x1 conv."""

    def __init__(self, c1=16):
        super().__init__()
        self.c1 = c1
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)

    def forward(self, x):
        b, _, a = x.shape
        # [b, 4*16, a] -> [b, 16, 4, a]; softmax over bins; weighted sum -> [b, 4, a]
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class Detect(nn.Module):
    """Anchor-free decoupled head (reg_max 16). Output [N, 4 + nc, anchors], boxes xywh in pixels."""

    def __init__(self, nc, ch, strides=(8, 16, 32), reg_max=16, style="v8", width=1.0):
        super().__init__()
        self.nc, self.reg_max, self.nl = nc, reg_max, len(ch)
        self.no = nc + 4 * reg_max
        self.strides = tuple(float(s) for s in strides)
        # Published box-branch width; `width` < 1 only for the tiny test scale, whose fixtures must
        # stay small (the 64-channel floor would otherwise dominate their size).
        c2 = max(4, int(max(16, ch[0] // 4, reg_max * 4) * width))
        c3 = max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
        if style == "v8":
            self.cv3 = nn.ModuleList(
                nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        elif style == "v11":  # depthwise-separable class branch
            self.cv3 = nn.ModuleList(
                nn.Sequential(nn.Sequential(DWConv(x, x, 3), Conv(x, c3, 1)),
                              nn.Sequential(DWConv(c3, c3, 3), Conv(c3, c3, 1)),
                              nn.Conv2d(c3, nc, 1)) for x in ch)
        else:
            raise ValueError(style)
        self.dfl = DFL(reg_max)

    def make_anchors(self, feats):
        # Computed from runtime shapes so dynamic exports carry Shape/Range/... like real ones.
        points, strides = [], []
        for f, s in zip(feats, self.strides):
            h, w = f.shape[2:]
            sx = torch.arange(w, dtype=f.dtype, device=f.device) + 0.5  # cell centres
            sy = torch.arange(h, dtype=f.dtype, device=f.device) + 0.5
            sy, sx = torch.meshgrid(sy, sx, indexing="ij")
            points.append(torch.stack((sx, sy), -1).view(-1, 2))
            strides.append(torch.full((h * w, 1), s, dtype=f.dtype, device=f.device))
        return torch.cat(points).transpose(0, 1), torch.cat(strides).transpose(0, 1)

    def forward(self, xs):
        feats = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1) for i, x in enumerate(xs)]
        if self.training:
            # Raw per-level maps [N, 4*reg_max + nc, h, w] for the loss (tools/yolofuse_train).
            # Export and the fixtures run in eval mode, so their graphs are unchanged.
            return feats
        b = feats[0].shape[0]
        x = torch.cat([f.view(b, self.no, -1) for f in feats], 2)
        anchors, strides = self.make_anchors(feats)
        box, cls = x.split((4 * self.reg_max, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        a = anchors.unsqueeze(0)
        x1y1, x2y2 = a - lt, a + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((dbox, cls.sigmoid()), 1)


def fuse(model):
    """Fold every BatchNorm into its conv (in place), as exporters do. Returns the model."""
    for m in model.modules():
        if isinstance(m, Conv):
            m.fuse_bn()
    return model


def ch(c, width):
    # Channel scaling relative to scale n: never below 4 so tiny models stay valid.
    return max(4, int(round(c * width)))
