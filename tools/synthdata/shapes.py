"""Procedural shapes for the synthetic RGB+IR scenes.

Every shape is a list of primitives that the renderer draws into three images at once (visible
colour, temperature, entity id), so the two modalities share the geometry exactly, like the
registered camera pairs of LLVIP. A primitive is

    Prim(kind, geom, rgb, temp, width=1, emit=None)

kind: "poly" (geom = [(x, y), ...]), "ellipse" / "ring" (geom = (x0, y0, x1, y1)), "line"
(geom = [(x, y), ...], thick polyline), "rect" (geom = (x0, y0, x1, y1)).
rgb: (r, g, b) 0..255 or None (invisible in the visible image, e.g. an exhaust's heat).
temp: surface temperature in deg C or None (invisible in IR, e.g. a printed picture whose ink
has the emissivity of the board).  emit: light the primitive gives off at night (lamps,
headlights, lit windows), added after the scene lighting so it survives the dark.

Coordinates are image pixels; `s` is always pixels per metre at the shape's ground row, so
shapes have real-world proportions and perspective comes from where they stand.
"""
import math

import numpy as np
from typing import NamedTuple, Optional


class Prim(NamedTuple):
    kind: str
    geom: object
    rgb: Optional[tuple]
    temp: Optional[float]
    width: int = 1
    emit: Optional[tuple] = None


def _c(rgb, f=1.0):
    """Clamp a colour (optionally scaled by a scalar or per-channel factor) to uint8 ints."""
    if np.isscalar(f):
        return tuple(int(min(255.0, max(0.0, c * f))) for c in rgb)
    return tuple(int(min(255.0, max(0.0, c * k))) for c, k in zip(rgb, f))


def _shade(rgb, f):
    return _c(rgb, f)


def _ell(cx, cy, rx, ry):
    return (cx - rx, cy - ry, cx + rx, cy + ry)


def _lw(px):
    # PIL ignores sub-pixel widths; 1 px minimum keeps tiny limbs and frames visible.
    return max(1, int(round(px)))


# ----------------------------------------------------------------------------------------------
# People
# ----------------------------------------------------------------------------------------------

def person_look(rng, th):
    """Clothing colours and surface temperatures of one person.

    th is the scene's Thermal model. Clothing insulates, so it sits between air and skin; dark
    clothes in the sun heat up, which is part of why people vanish in daytime IR (crossover).
    """
    skins = [(233, 196, 170), (205, 160, 120), (160, 110, 75), (110, 75, 50)]
    skin = _c(skins[rng.integers(len(skins))], rng.uniform(0.9, 1.1))
    palette = [(20, 20, 25), (40, 40, 60), (200, 200, 205), (150, 30, 30), (30, 60, 140),
               (60, 110, 60), (220, 180, 40), (110, 90, 70), (240, 240, 240), (90, 90, 95),
               (180, 90, 140), (240, 120, 40)]
    top = _c(palette[rng.integers(len(palette))], rng.uniform(0.8, 1.15, 3))
    bottom = _c([(30, 40, 80), (25, 25, 30), (120, 100, 80), (70, 70, 75), (50, 60, 110)][rng.integers(5)],
                rng.uniform(0.8, 1.2, 3))
    hair = _c([(20, 15, 10), (70, 45, 25), (150, 110, 60), (200, 200, 200)][rng.integers(4)], rng.uniform(0.8, 1.2))
    dark_top = sum(top) < 300
    look = {
        "skin": skin, "top": top, "bottom": bottom, "hair": hair,
        "shoes": _c((30, 30, 30), rng.uniform(0.5, 2.0)),
        "t_skin": th.skin(rng), "t_top": th.clothing(rng, dark_top),
        "t_bottom": th.clothing(rng, True), "t_hair": th.hair(rng),
        "shorts": rng.random() < 0.2, "skirt": rng.random() < 0.12, "bag": rng.random() < 0.25,
        "bag_rgb": _c((60, 50, 40), rng.uniform(0.6, 2.0, 3)),
    }
    look["t_bag"] = th.ambient_object(rng)
    return look


def person_joints(rng, x, y, h, facing, pose):
    """Joint positions of a standing/walking/running/waving person with feet at (x, y).

    facing: -1 / +1 side view (left / right), 0 front or back view. Proportions are the usual
    8-heads figure: head 0.13 h, shoulders at 0.17 h, hips at 0.5 h, knees at 0.73 h.
    """
    top = y - h
    j = {"h": h, "facing": facing}
    amp = {"stand": 0.06, "walk": 0.38, "run": 0.62, "wave": 0.05}[pose]
    phase = rng.uniform(0, 2 * math.pi)
    sw = math.sin(phase)
    lean = (0.06 * h if pose == "run" else 0.015 * h) * facing
    j["head"] = (x + lean * 1.2, top + 0.068 * h, 0.058 * h, 0.068 * h)
    sh_y, hip_y = top + 0.17 * h, top + 0.5 * h
    j["shoulder_c"] = (x + lean, sh_y)
    j["hip_c"] = (x, hip_y)
    side = facing != 0
    j["sh_half"] = (0.075 if side else 0.125) * h
    j["hip_half"] = (0.07 if side else 0.095) * h
    thigh, shin, upper, fore = 0.25 * h, 0.25 * h, 0.18 * h, 0.17 * h
    legs, arms = [], []
    for k, sgn in enumerate((1, -1)):
        if side:
            a = amp * sw * sgn                       # thigh angle from vertical, along facing
            bend = max(0.0, -a) * (1.4 if pose == "run" else 0.6) + 0.05
            hip = (x, hip_y)
            knee = (hip[0] + facing * thigh * math.sin(a), hip[1] + thigh * math.cos(a))
            a2 = a - bend
            foot = (knee[0] + facing * shin * math.sin(a2), knee[1] + shin * math.cos(a2))
            sh = (x + lean, sh_y)
            arm_a = -amp * sw * sgn * 0.9
            elbow = (sh[0] + facing * upper * math.sin(arm_a), sh[1] + upper * math.cos(arm_a))
            fa = arm_a + (1.2 if pose == "run" else 0.25)
            hand = (elbow[0] + facing * fore * math.sin(fa), elbow[1] + fore * math.cos(fa))
        else:
            spread = rng.uniform(0.02, 0.09) * sgn
            hip = (x + sgn * 0.05 * h, hip_y)
            knee = (hip[0] + spread * h * 0.5, hip_y + thigh)
            foot = (hip[0] + spread * h, hip_y + thigh + shin)
            sh = (x + sgn * 0.115 * h, sh_y + 0.01 * h)
            if pose == "wave" and k == 0:
                elbow = (sh[0] + 0.12 * h, sh[1] - 0.08 * h)
                hand = (elbow[0] + 0.03 * h, elbow[1] - 0.16 * h)
            else:
                out = rng.uniform(0.02, 0.07)
                elbow = (sh[0] + sgn * out * h, sh[1] + upper)
                hand = (elbow[0] + sgn * out * 0.6 * h, elbow[1] + fore)
        legs.append((hip, knee, foot))
        arms.append((sh, elbow, hand))
    j["legs"], j["arms"] = legs, arms
    return j


def rider_joints(hip, bar, pedal, bb, h, facing):
    """A cyclist seated at `hip`, hands on `bar`, one foot on `pedal`, the other on the far crank."""
    x, y = hip
    spine = 0.33 * h
    # Torso leans forward towards the handlebar (about 35 degrees on a city bike).
    ang = math.radians(35)
    sh = (x + facing * spine * math.sin(ang), y - spine * math.cos(ang))
    head = (sh[0] + facing * 0.05 * h, sh[1] - 0.09 * h, 0.058 * h, 0.068 * h)
    j = {"h": h, "facing": facing, "head": head, "shoulder_c": sh, "hip_c": hip,
         "sh_half": 0.075 * h, "hip_half": 0.07 * h}
    legs = []
    for foot in (pedal, (2 * bb[0] - pedal[0], 2 * bb[1] - pedal[1])):  # near and far crank
        # Knee sits above and ahead of the hip-foot midpoint (a simple two-bone IK stand-in).
        mx, my = (hip[0] + foot[0]) / 2, (hip[1] + foot[1]) / 2
        knee = (mx + facing * 0.08 * h, my - 0.06 * h)
        legs.append((hip, knee, foot))
    elbow = ((sh[0] + bar[0]) / 2 + facing * 0.02 * h, (sh[1] + bar[1]) / 2 + 0.04 * h)
    j["legs"] = legs
    j["arms"] = [(sh, elbow, bar), (sh, elbow, bar)]
    return j


def person_prims(j, look, flat=None):
    """Primitives of a person from joints. flat=(rgb, temp) paints everything one colour/temp
    (mannequins, printed figures, shadows)."""
    h, facing = j["h"], j["facing"]
    g = (lambda part: flat) if flat else (lambda part: {
        "skin": (look["skin"], look["t_skin"]), "top": (look["top"], look["t_top"]),
        "bottom": (look["bottom"], look["t_bottom"]), "hair": (look["hair"], look["t_hair"]),
        "shoes": (look["shoes"], look["t_bottom"] - 1.0), "bag": (look["bag_rgb"], look["t_bag"]),
    }[part])
    prims = []
    leg_w, arm_w = _lw(0.075 * h), _lw(0.052 * h)
    legs, arms = j["legs"], j["arms"]
    # Far-side limbs first and a little darker, so side views read as two legs/arms.
    order = [1, 0] if facing != 0 else [0, 1]
    for k in order:
        hip, knee, foot = legs[k]
        rgb, t = g("bottom")
        f = 0.8 if (facing != 0 and k == 1) else 1.0
        if look and look.get("shorts") and not flat:
            prims.append(Prim("line", [hip, knee], _shade(rgb, f), t, leg_w))
            srgb, st = g("skin")
            prims.append(Prim("line", [knee, foot], _shade(srgb, f), st - 1.0, _lw(0.06 * h)))
        else:
            prims.append(Prim("line", [hip, knee, foot], _shade(rgb, f), t, leg_w))
        srgb, st = g("shoes")
        prims.append(Prim("ellipse", _ell(foot[0] + facing * 0.025 * h, foot[1], 0.045 * h, 0.02 * h),
                          _shade(srgb, f), st))
    sx, sy = j["shoulder_c"]
    hx, hy = j["hip_c"]
    # Torso quad perpendicular to the spine.
    dx, dy = hx - sx, hy - sy
    n = math.hypot(dx, dy) or 1.0
    px, py = -dy / n, dx / n
    sh, hh = j["sh_half"], j["hip_half"]
    torso = [(sx + px * sh, sy + py * sh), (sx - px * sh, sy - py * sh),
             (hx - px * hh, hy - py * hh), (hx + px * hh, hy + py * hh)]
    rgb, t = g("top")
    if look and look.get("bag") and not flat and facing != 0:
        brgb, bt = g("bag")
        prims.append(Prim("rect", (sx - facing * 0.13 * h - 0.04 * h, sy + 0.02 * h,
                                   sx - facing * 0.13 * h + 0.04 * h, sy + 0.2 * h), brgb, bt))
    prims.append(Prim("poly", torso, rgb, t))
    if look and look.get("skirt") and not flat:
        brgb, bt = g("bottom")
        prims.append(Prim("poly", [(hx - hh, hy - 0.02 * h), (hx + hh, hy - 0.02 * h),
                                   (hx + hh * 1.6, hy + 0.2 * h), (hx - hh * 1.6, hy + 0.2 * h)], brgb, bt))
    for k in order:
        sh_p, elbow, hand = arms[k]
        f = 0.8 if (facing != 0 and k == 1) else 1.0
        prims.append(Prim("line", [sh_p, elbow, hand], _shade(rgb, f), t, arm_w))
        srgb, st = g("skin")
        prims.append(Prim("ellipse", _ell(hand[0], hand[1], 0.025 * h, 0.03 * h), _shade(srgb, f), st - 0.5))
    cx, cy, rx, ry = j["head"]
    prims.append(Prim("line", [(cx, cy + ry * 0.8), (sx, sy)], *g("skin"), _lw(0.045 * h)))
    prims.append(Prim("ellipse", _ell(cx, cy, rx, ry), *g("skin")))
    hrgb, ht = g("hair")
    prims.append(Prim("ellipse", (cx - rx * 1.02, cy - ry * 1.05, cx + rx * 1.02, cy - ry * 0.1), hrgb, ht))
    return prims


# ----------------------------------------------------------------------------------------------
# Cars
# ----------------------------------------------------------------------------------------------

CAR_COLOURS = [(235, 235, 235), (20, 20, 22), (150, 150, 155), (90, 95, 100), (160, 20, 20),
               (25, 45, 110), (200, 200, 195), (40, 70, 50), (210, 170, 40), (120, 60, 20)]


def car_prims(rng, th, x, y, s, view, running):
    """A car with wheels on the ground at row y, centred on x. view: -1/+1 side, 0 front, 2 back.

    Sedans are 4.5 m long and 1.45 m tall, vans/SUVs taller. In IR a running car shows a hot
    engine bay and exhaust and warm tyres; its windows mirror the cold sky; a car parked for
    hours sits near air temperature (after sunset its roof is even colder than the air).
    """
    colour = _c(CAR_COLOURS[rng.integers(len(CAR_COLOURS))], rng.uniform(0.85, 1.1, 3))
    kind = rng.choice(["sedan", "hatch", "suv", "van"], p=[0.45, 0.2, 0.25, 0.1])
    L = {"sedan": 4.6, "hatch": 4.0, "suv": 4.7, "van": 5.0}[kind] * s
    H = {"sedan": 1.45, "hatch": 1.5, "suv": 1.75, "van": 2.1}[kind] * s
    Wd = 1.85 * s
    dark = sum(colour) < 250
    t_body = th.car_body(rng, dark, running)
    t_engine = th.engine(rng) if running else t_body + rng.uniform(0, 1.5)
    t_tyre = t_body + (rng.uniform(4, 10) if running else 0.3)
    t_glass = th.glass(rng)
    glass = _c((60, 75, 95), rng.uniform(0.6, 1.3))
    tyre = (22, 22, 22)
    prims = []
    if view in (-1, 1):
        d = view
        r = 0.33 * s
        yb = y - 0.55 * r
        belt = y - 0.55 * H
        X = lambda f: x + d * f * L  # position along the car, f in [-0.5, 0.5], + = front
        body = [(X(-0.5), yb), (X(-0.5), belt + 0.08 * H), (X(-0.47), belt), (X(0.44), belt + 0.06 * H),
                (X(0.5), belt + 0.22 * H), (X(0.5), yb)]
        if kind == "van":
            cabin = [(X(-0.49), belt), (X(-0.48), y - H), (X(0.2), y - H), (X(0.42), belt + 0.02 * H)]
        elif kind == "hatch":
            cabin = [(X(-0.47), belt), (X(-0.4), y - H), (X(0.1), y - H), (X(0.3), belt + 0.02 * H)]
        else:
            cabin = [(X(-0.38), belt), (X(-0.26), y - H), (X(0.1), y - H), (X(0.28), belt + 0.02 * H)]
        prims.append(Prim("poly", body, colour, t_body))
        # Engine bay: the front third of the lower body, hot only in IR.
        prims.append(Prim("poly", [(X(0.18), belt + 0.04 * H), (X(0.44), belt + 0.06 * H), (X(0.5), belt + 0.22 * H),
                                   (X(0.5), yb - 0.05 * H), (X(0.18), yb - 0.05 * H)], colour, t_engine))
        prims.append(Prim("poly", cabin, _shade(colour, 0.95), t_body - 0.5))
        # Windows: the cabin inset, split by a B-pillar.
        cx0, cy0 = sum(p[0] for p in cabin) / 4, sum(p[1] for p in cabin) / 4
        win = [(cx0 + (px - cx0) * 0.82, cy0 + (py - cy0) * 0.78 + 0.03 * H) for px, py in cabin]
        prims.append(Prim("poly", win, glass, t_glass))
        bx = (win[1][0] + win[2][0]) / 2
        prims.append(Prim("line", [(bx, win[1][1]), (bx, win[0][1])], colour, t_body, _lw(0.08 * s)))
        prims.append(Prim("line", [(X(-0.1), belt + 0.05 * H), (X(-0.1), yb - 0.05 * H)],
                          _shade(colour, 0.7), t_body, 1))
        prims.append(Prim("rect", (min(X(0.47), X(0.5)), belt + 0.25 * H, max(X(0.47), X(0.5)), belt + 0.33 * H),
                          (235, 235, 220), t_body, 1, (255, 250, 220) if running else None))
        prims.append(Prim("rect", (min(X(-0.5), X(-0.48)), belt + 0.1 * H, max(X(-0.5), X(-0.48)), belt + 0.2 * H),
                          (170, 20, 20), t_body, 1, (200, 20, 20) if running else None))
        for f in (-0.32, 0.33):
            prims.append(Prim("ellipse", _ell(X(f), y - r, r, r), tyre, t_tyre))
            prims.append(Prim("ellipse", _ell(X(f), y - r, 0.55 * r, 0.55 * r), (150, 150, 155), t_tyre - 1))
        if running:
            prims.append(Prim("ellipse", _ell(X(-0.5), yb - 0.03 * s, 0.07 * s, 0.05 * s), None, t_engine + 15))
        box_w = L
    else:
        front = view == 0
        w2 = Wd / 2
        belt = y - 0.55 * H
        prims.append(Prim("rect", (x - w2 * 0.95, y - 0.35 * s, x - w2 * 0.6, y), tyre, t_tyre))
        prims.append(Prim("rect", (x + w2 * 0.6, y - 0.35 * s, x + w2 * 0.95, y), tyre, t_tyre))
        body = [(x - w2, y - 0.2 * s), (x - w2, belt + 0.05 * H), (x - w2 * 0.95, belt),
                (x + w2 * 0.95, belt), (x + w2, belt + 0.05 * H), (x + w2, y - 0.2 * s)]
        prims.append(Prim("poly", body, colour, t_engine if front else t_body))
        cabin = [(x - w2 * 0.9, belt), (x - w2 * 0.72, y - H), (x + w2 * 0.72, y - H), (x + w2 * 0.9, belt)]
        prims.append(Prim("poly", cabin, _shade(colour, 0.95), t_body - 0.5))
        prims.append(Prim("poly", [(x - w2 * 0.8, belt - 0.03 * H), (x - w2 * 0.66, y - H * 0.94),
                                   (x + w2 * 0.66, y - H * 0.94), (x + w2 * 0.8, belt - 0.03 * H)], glass, t_glass))
        lc, le = ((235, 235, 215), (255, 250, 225)) if front else ((180, 20, 20), (220, 25, 20))
        for sx in (-1, 1):
            prims.append(Prim("ellipse", _ell(x + sx * w2 * 0.75, belt + 0.16 * H, w2 * 0.14, 0.06 * H),
                              lc, t_body + (3 if front and running else 0), 1, le if running else None))
        prims.append(Prim("rect", (x - w2 * 0.22, belt + 0.25 * H, x + w2 * 0.22, belt + 0.34 * H),
                          (230, 230, 230), t_body))
        if front:
            prims.append(Prim("rect", (x - w2 * 0.45, belt + 0.08 * H, x + w2 * 0.45, belt + 0.2 * H),
                              (40, 40, 42), t_engine + 3))
        elif running:
            prims.append(Prim("ellipse", _ell(x + w2 * 0.55, y - 0.25 * s, 0.06 * s, 0.05 * s), (40, 40, 40), t_engine + 15))
        box_w = Wd
    return prims, box_w, H


# ----------------------------------------------------------------------------------------------
# Bicycles
# ----------------------------------------------------------------------------------------------

def bicycle_geometry(x, y, s, d, yaw):
    """Key points of a 1.75 m city bike in side view; yaw foreshortens it along x."""
    c = math.cos(yaw)
    r = 0.34 * s
    X = lambda m: x + d * m * s * c
    return {
        "r": r, "rx": r * c,
        "rear": (X(-0.53), y - r), "front": (X(0.53), y - r),
        "bb": (X(-0.08), y - r + 0.05 * s),
        "seat": (X(-0.24), y - r - 0.55 * s), "saddle": (X(-0.27), y - r - 0.6 * s),
        "head_top": (X(0.33), y - r - 0.52 * s), "head_bot": (X(0.38), y - r - 0.36 * s),
        "bar": (X(0.28), y - r - 0.64 * s),
        "pedal": (X(-0.08 + 0.12), y - r + 0.05 * s + 0.1 * s),
    }


def bicycle_prims(rng, th, g, s, moving):
    """Wheels (thin rings), diamond frame, fork, bars and saddle. In IR the thin metal frame sits
    at air temperature (and reflects the cold sky), so an unridden bike is nearly invisible."""
    frame = _c([(200, 30, 30), (20, 20, 20), (30, 80, 160), (220, 220, 220), (40, 120, 60),
                (230, 180, 30)][rng.integers(6)], rng.uniform(0.8, 1.1))
    t_frame = th.metal(rng)
    t_tyre = t_frame + (1.5 if moving else 0.0)
    lw = _lw(0.045 * s)
    tw = _lw(0.06 * s)
    p = []
    for hub in ("rear", "front"):
        hx, hy = g[hub]
        p.append(Prim("ring", _ell(hx, hy, g["rx"], g["r"]), (25, 25, 25), t_tyre, tw))
        p.append(Prim("ring", _ell(hx, hy, g["rx"] * 0.2, g["r"] * 0.2), (170, 170, 170), t_frame, 1))
    tubes = [("rear", "bb"), ("rear", "seat"), ("bb", "seat"), ("seat", "head_top"), ("bb", "head_bot"),
             ("head_top", "head_bot"), ("head_bot", "front"), ("head_top", "bar")]
    for a, b in tubes:
        p.append(Prim("line", [g[a], g[b]], frame, t_frame, lw))
    sx, sy = g["saddle"]
    p.append(Prim("line", [(sx - 0.08 * s, sy), (sx + 0.08 * s, sy)], (20, 20, 20), t_frame, _lw(0.05 * s)))
    p.append(Prim("line", [g["bb"], g["pedal"]], (60, 60, 60), t_frame, lw))
    return p


# ----------------------------------------------------------------------------------------------
# Decoys and clutter
# ----------------------------------------------------------------------------------------------

def dog_prims(rng, th, x, y, s, d):
    """A dog (0.6 m tall): warm fur in IR, a four-legged shape in RGB; not a labelled class."""
    col = _c([(120, 80, 40), (30, 25, 20), (200, 180, 150), (90, 90, 90)][rng.integers(4)], rng.uniform(0.9, 1.1))
    t = th.skin(rng) - rng.uniform(3, 7)
    body_y = y - 0.42 * s
    p = []
    for lx in (-0.25, -0.18, 0.18, 0.25):
        p.append(Prim("line", [(x + d * lx * s, body_y), (x + d * lx * s, y)], _shade(col, 0.85), t - 1, _lw(0.06 * s)))
    p.append(Prim("ellipse", _ell(x, body_y, 0.32 * s, 0.12 * s), col, t))
    p.append(Prim("ellipse", _ell(x + d * 0.36 * s, body_y - 0.16 * s, 0.1 * s, 0.09 * s), col, t + 1))
    p.append(Prim("line", [(x - d * 0.3 * s, body_y), (x - d * 0.45 * s, body_y - 0.15 * s)], col, t - 2, _lw(0.04 * s)))
    return p


def lamp_prims(rng, th, x, y, s, night):
    """Street lamp: pole in both images, a head that is hot in IR and lit in RGB at night."""
    hgt = rng.uniform(4, 7) * s
    t_head = th.ambient + rng.uniform(30, 70)
    pole = (90, 95, 100)
    p = [Prim("line", [(x, y), (x, y - hgt)], pole, th.metal(rng), _lw(0.12 * s)),
         Prim("line", [(x, y - hgt), (x + 0.6 * s, y - hgt)], pole, th.metal(rng), _lw(0.08 * s))]
    head = _ell(x + 0.6 * s, y - hgt + 0.08 * s, 0.28 * s, 0.12 * s)
    p.append(Prim("ellipse", head, (230, 230, 210), t_head, 1, (255, 240, 200) if night else None))
    return p, (x + 0.6 * s, y - hgt)


def hot_blob_prims(rng, th, x, y, s):
    """Person-sized warm shape (boiler, heater, warm bin, idling generator): a rounded vertical
    blob in IR that an IR-only detector may take for a person; a grey box in RGB."""
    hgt = rng.uniform(0.9, 1.9) * s
    w = rng.uniform(0.35, 0.7) * s
    t = th.ambient + rng.uniform(6, 25)
    col = _c([(100, 110, 100), (60, 90, 60), (120, 120, 130), (80, 70, 60)][rng.integers(4)], rng.uniform(0.8, 1.2))
    p = [Prim("rect", (x - w / 2, y - hgt * 0.8, x + w / 2, y), col, t)]
    if rng.random() < 0.6:  # rounded "head" on top makes it more person-like in IR
        p.append(Prim("ellipse", _ell(x, y - hgt * 0.85, w * 0.35, hgt * 0.12), _shade(col, 0.9), t + 2))
    else:
        p.append(Prim("rect", (x - w / 2, y - hgt, x + w / 2, y - hgt * 0.8), _shade(col, 0.8), t - 2))
    return p


def vent_prims(rng, th, x, y, s):
    """Manhole / vent / warm patch on the ground: hot in IR, a dull grey ellipse in RGB."""
    rx = rng.uniform(0.3, 1.2) * s
    return [Prim("ellipse", _ell(x, y, rx, rx * rng.uniform(0.25, 0.45)), (70, 70, 72), th.ambient + rng.uniform(8, 30))]


def ghost_car_prims(rng, th, x, y, s):
    """The warm ground a car left behind: a car-sized bright rectangle in IR, nothing in RGB."""
    L, W = rng.uniform(3.5, 4.5) * s, rng.uniform(0.5, 0.9) * s
    return [Prim("ellipse", (x - L / 2, y - W / 2, x + L / 2, y + W / 2), None, th.ground_day_night() + rng.uniform(3, 8))]


def tree_prims(rng, th, x, y, s):
    hgt = rng.uniform(4, 9) * s
    rad = rng.uniform(1.2, 2.8) * s
    trunk = _c((80, 60, 40), rng.uniform(0.7, 1.2))
    leaf = _c((50, 100, 40), rng.uniform(0.6, 1.3, 3))
    t = th.vegetation(rng)
    p = [Prim("line", [(x, y), (x, y - hgt * 0.6)], trunk, t + 0.5, _lw(0.3 * s))]
    for _ in range(3):
        ox, oy = rng.uniform(-0.5, 0.5) * rad, rng.uniform(-0.4, 0.3) * rad
        p.append(Prim("ellipse", _ell(x + ox, y - hgt * 0.7 + oy, rad * rng.uniform(0.7, 1.0),
                                      rad * rng.uniform(0.6, 0.9)), _shade(leaf, rng.uniform(0.8, 1.2)), t))
    return p


def bush_prims(rng, th, x, y, s):
    w, hgt = rng.uniform(1, 3) * s, rng.uniform(0.6, 1.2) * s
    leaf = _c((50, 95, 45), rng.uniform(0.6, 1.3, 3))
    return [Prim("ellipse", (x - w / 2, y - hgt, x + w / 2, y + 0.1 * s), leaf, th.vegetation(rng))]


def pole_prims(rng, th, x, y, s):
    hgt = rng.uniform(2.5, 6) * s
    return [Prim("line", [(x, y), (x, y - hgt)], _c((110, 110, 115), rng.uniform(0.6, 1.4)), th.metal(rng),
                 _lw(rng.uniform(0.08, 0.3) * s))]


def fence_prims(rng, th, x, y, s):
    w, hgt = rng.uniform(3, 10) * s, rng.uniform(0.8, 1.3) * s
    col = _c((120, 110, 100), rng.uniform(0.5, 1.5))
    t = th.metal(rng)
    p = [Prim("line", [(x - w / 2, y - hgt), (x + w / 2, y - hgt)], col, t, _lw(0.06 * s)),
         Prim("line", [(x - w / 2, y - hgt * 0.5), (x + w / 2, y - hgt * 0.5)], col, t, _lw(0.05 * s))]
    n = max(2, int(w / (0.35 * s)))
    for i in range(n + 1):
        px = x - w / 2 + w * i / n
        p.append(Prim("line", [(px, y), (px, y - hgt)], col, t, _lw(0.05 * s)))
    return p


def poster_prims(rng, th, x, y, s, look, pose_rng):
    """A billboard on two legs with a printed person (or car): looks like the real thing in RGB,
    but print and board share one temperature, so IR shows only a uniform board."""
    bw, bh = rng.uniform(1.2, 3.0) * s, rng.uniform(1.8, 2.6) * s
    leg = rng.uniform(0.3, 0.9) * s
    t = th.ambient_object(rng)
    board = _c((225, 225, 215), rng.uniform(0.6, 1.1, 3))
    p = [Prim("line", [(x - bw * 0.4, y), (x - bw * 0.4, y - leg)], (80, 80, 80), t, _lw(0.06 * s)),
         Prim("line", [(x + bw * 0.4, y), (x + bw * 0.4, y - leg)], (80, 80, 80), t, _lw(0.06 * s)),
         Prim("rect", (x - bw / 2, y - leg - bh, x + bw / 2, y - leg), board, t)]
    if rng.random() < 0.75:
        fh = bh * 0.85
        j = person_joints(pose_rng, x, y - leg - 0.07 * bh, fh, int(rng.choice([-1, 0, 1])),
                          str(rng.choice(["stand", "walk", "wave"])))
        p += [q._replace(temp=t) for q in person_prims(j, look)]
    else:
        cp, _, _ = car_prims(rng, th, x, y - leg - 0.1 * bh, bw * 0.9 / 4.6, int(rng.choice([-1, 1])), False)
        p += [q._replace(temp=t, emit=None) for q in cp if q.rgb is not None]
    return p


def painted_bike_prims(rng, th, x, y, s):
    """A bike-lane symbol painted on the road: a white bicycle outline, flat on the ground
    (squashed vertically), invisible in IR."""
    g = bicycle_geometry(x, y, s, 1, 0.0)
    squash = rng.uniform(0.35, 0.6)
    pts = {k: (v[0], y + (v[1] - y) * squash) if isinstance(v, tuple) else v for k, v in g.items()}
    pts["r"], pts["rx"] = g["r"] * squash, g["rx"]
    t = th.ground_temp
    white = (235, 235, 230)
    p = []
    for hub in ("rear", "front"):
        hx, hy = pts[hub]
        p.append(Prim("ring", _ell(hx, hy, pts["rx"], pts["r"]), white, t, _lw(0.06 * s)))
    for a, b in [("rear", "bb"), ("rear", "seat"), ("bb", "seat"), ("seat", "head_top"),
                 ("bb", "head_bot"), ("head_bot", "front"), ("head_top", "bar")]:
        p.append(Prim("line", [pts[a], pts[b]], white, t, _lw(0.05 * s)))
    return p
