"""Sensor models: turn the rendered radiometry into what each camera records.

Visible camera: optics blur, surface texture, scene lighting per condition (sun, night with lamp
pools and emitters plus gain-amplified noise, depth-dependent fog/smoke, sun glare that blows
out a region), then 8-bit.  Thermal camera: atmospheric attenuation (weak, even in fog), a
softer lens and a lower-resolution detector, NETD noise with column fixed-pattern noise, then
automatic gain control (percentile stretch) to 8-bit white-hot.

Noise comes from a per-process bank of Gaussian samples cut at random offsets: drawing ~1 M
fresh normals per image would cost more than the whole rasterisation.
"""
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

_BANK = {}


def _bank(H, W):
    key = (H, W)
    if key not in _BANK:
        _BANK[key] = np.random.default_rng(12345).standard_normal((2 * H, 2 * W), dtype=np.float32)
    return _BANK[key]


def _noise(rng, H, W):
    b = _bank(H, W)
    oy, ox = int(rng.integers(0, H)), int(rng.integers(0, W))
    return b[oy:oy + H, ox:ox + W]


def _upsample(small, W, H):
    return np.asarray(Image.fromarray(np.ascontiguousarray(small, np.float32), "F").resize((W, H), Image.BILINEAR))


def _smooth_noise(rng, H, W, cell):
    return _upsample(rng.standard_normal((max(2, H // cell), max(2, W // cell))).astype(np.float32), W, H)


def finish_rgb(rng, world, cond, depth):
    # Box blur: close enough to a lens PSF at this radius and several times faster than Gaussian.
    img = world.rgb.filter(ImageFilter.BoxBlur(rng.uniform(0.35, 0.75)))
    a = np.asarray(img, np.float32) * (1.0 / 255)
    H, W = a.shape[:2]
    # Shading/texture over everything, and a smooth illumination gradient.
    shade = 1 + 0.05 * _smooth_noise(rng, H, W, 6) + 0.08 * _smooth_noise(rng, H, W, 64)
    a = a * shade[..., None]

    if cond == "night":
        a = _night(rng, world, a, H, W)
    elif cond == "fog":
        a = _fog(rng, a, depth, H, W)
    else:
        a = a * rng.uniform(0.85, 1.15)
        if cond == "glare":
            a = _glare(rng, world, a, H, W)
        a = a + 0.012 * _noise(rng, H, W)[..., None]
    return (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)


def _night(rng, world, a, H, W):
    """Dim ambient light, pools under lamps and headlights, emitters; then the camera's gain
    lifts the image and with it read and shot noise, so unlit objects drown."""
    h8, w8 = max(2, H // 8), max(2, W // 8)
    yy, xx = np.mgrid[0:h8, 0:w8].astype(np.float32)
    illum = np.full((h8, w8), rng.uniform(0.025, 0.1), np.float32)
    for x, y, r, _, *strength in world.emitters:
        r8 = max(r / 8, 1.0)
        # Pools are flattened ellipses on the ground plane.
        k = strength[0] if strength else rng.uniform(0.5, 1.3)
        illum += k * np.exp(-(((xx - x / 8) / r8) ** 2 + ((yy - y / 8) / (0.5 * r8)) ** 2))
    tint = np.array([1.0, 0.85, 0.6] if rng.random() < 0.5 else [0.95, 0.97, 1.0], np.float32)
    sig = a * _upsample(illum, W, H)[..., None] * tint
    glow = world.glow
    sharp = np.asarray(glow, np.float32) * (1.0 / 255)
    # Wide halo via a downsample/upsample round trip (a large Gaussian costs ~10x more).
    k = int(rng.integers(6, 14))
    halo = glow.resize((max(1, W // k), max(1, H // k)), Image.BOX).resize((W, H), Image.BILINEAR)
    halo = np.asarray(halo, np.float32) * (1.0 / 255)
    sig = sig + sharp + 2.5 * halo
    gain = float(np.clip(0.3 / (sig.mean() + 1e-4), 1.0, 12.0))
    y = sig * gain
    n = _noise(rng, H, W)
    std = 0.008 * gain + 0.04 * np.sqrt(np.clip(y, 0, 1))
    # Luma noise plus some independent chroma noise (colour speckle of cheap sensors).
    y = y + std * n[..., None] + 0.5 * std * np.stack(
        [_noise(rng, H, W) for _ in range(3)], -1)
    # Low light desaturates.
    lum = y.mean(-1, keepdims=True)
    return lum + rng.uniform(0.3, 0.7) * (y - lum)


def _fog(rng, a, depth, H, W):
    """Koschmieder haze: I = J t + A (1 - t), t = exp(-beta d). Smoke varies in density."""
    beta = rng.uniform(0.04, 0.16)
    smoke = rng.random() < 0.4
    airlight = (np.array([0.62, 0.58, 0.52]) if smoke else np.array([0.82, 0.83, 0.85])) * rng.uniform(0.85, 1.1)
    if smoke:
        dens = np.clip(1 + 0.8 * _smooth_noise(rng, H, W, 48), 0.2, 3.0)
    else:
        dens = 1 + 0.15 * _smooth_noise(rng, H, W, 64)
    t = np.exp(-beta * np.minimum(depth, 1e3) * dens)[..., None]
    a = a * rng.uniform(0.7, 1.0) * t + airlight.astype(np.float32) * (1 - t)
    return a + 0.015 * _noise(rng, H, W)[..., None]


def _glare(rng, world, a, H, W):
    """Low sun or a floodlight in view: a saturated core, flare streaks and veiling glare that
    wash out a region (often over objects, so RGB misses them there)."""
    if world.labelled and rng.random() < 0.7:
        _, _, box, _, _ = world.labelled[rng.integers(len(world.labelled))]
        cx, cy = (box[0] + box[2]) / 2 + rng.normal(0, 10), (box[1] + box[3]) / 2 + rng.normal(0, 10)
    else:
        cx, cy = rng.uniform(0.1, 0.9) * W, rng.uniform(0.0, 0.7) * H
    r0 = rng.uniform(0.08, 0.28) * W
    h4, w4 = max(2, H // 4), max(2, W // 4)
    yy, xx = np.mgrid[0:h4, 0:w4].astype(np.float32)
    d = np.sqrt((xx - cx / 4) ** 2 + (yy - cy / 4) ** 2) / (r0 / 4)
    g = rng.uniform(2.5, 6.0) * np.exp(-d ** 2) + rng.uniform(0.15, 0.45) / (1 + d)
    # Streaks from the aperture blades.
    m = Image.new("L", (W, H), 0)
    dr = ImageDraw.Draw(m)
    n = int(rng.integers(4, 9))
    ang0 = rng.uniform(0, np.pi)
    for k in range(n):
        ang = ang0 + k * np.pi / n
        L = r0 * rng.uniform(1.5, 3.5)
        dr.line([(cx - L * np.cos(ang), cy - L * np.sin(ang)), (cx + L * np.cos(ang), cy + L * np.sin(ang))],
                fill=int(rng.integers(90, 200)), width=max(1, int(r0 * 0.04)))
    streak = np.asarray(m.filter(ImageFilter.BoxBlur(2)), np.float32) * (1.0 / 255)
    colour = np.array([1.0, 0.97, 0.88], np.float32)
    return a + (_upsample(g.astype(np.float32), W, H) + streak)[..., None] * colour


def finish_ir(rng, world, cond, depth):
    T = np.array(world.temp, np.float32)
    H, W = T.shape
    air = world.th.ambient
    # LWIR is attenuated far less than visible light, even in fog.
    beta = rng.uniform(0.004, 0.012) if cond == "fog" else rng.uniform(0.0005, 0.002)
    t = np.exp(-beta * np.minimum(depth, 300.0))
    T = T * t + air * (1 - t)
    # Softer optics and a coarser detector than the visible camera.
    k = rng.uniform(1.4, 2.2)
    img = Image.fromarray(T, "F").resize((int(W / k), int(H / k)), Image.BILINEAR)
    T = np.array(img.resize((W, H), Image.BILINEAR), np.float32)
    netd = rng.uniform(0.08, 0.2) if cond == "day" else rng.uniform(0.05, 0.12)
    T += netd * (_noise(rng, H, W) + 0.6 * rng.standard_normal(W).astype(np.float32)[None, :])
    # AGC as thermal cores do it: a mix of a linear stretch between robust percentiles and
    # plateau histogram equalisation (the plateau caps how much the dominant background can
    # steepen the curve). Pure percentile stretching would let a cold window and the ground set
    # the range and saturate every warm body to white.
    sub = T[::4, ::4]
    lo, hi = np.percentile(sub, [0.3, 99.7])
    hi = max(hi, lo + 4.0)
    hist, edges = np.histogram(sub, bins=256, range=(lo, hi))
    hist = np.minimum(hist, 0.01 * sub.size) + 1e-3
    cdf = np.cumsum(hist) / hist.sum()
    # The whole transfer curve as a 1024-entry table (np.interp per pixel is 5x slower).
    mix = rng.uniform(0.3, 0.7)
    x = np.linspace(0, 1, 1024)
    lut = (mix * np.interp(x, np.linspace(0, 1, 257)[1:], cdf) + (1 - mix) * x) ** rng.uniform(0.85, 1.15)
    idx = np.clip((T - lo) * (1023.0 / (hi - lo)), 0, 1023).astype(np.int32)
    v = lut.astype(np.float32)[idx]
    return np.clip(v * 255 + 1.2 * _noise(rng, H, W) + 0.5, 0, 255).astype(np.uint8)
