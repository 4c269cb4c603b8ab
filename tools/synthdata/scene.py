"""Scene composition and rasterisation for one registered RGB+IR pair.

Pipeline: camera geometry -> background (sky, ground, road, far buildings) -> ground markings
and shadows -> standing things (objects, decoys, occluders) back to front -> labels from the
entity-id buffer -> per-modality sensor models (sensor.py).

Both modalities are drawn from the same primitives into three PIL images (RGB colour, float
temperature, uint8 entity id), so geometry is shared exactly and occlusion is measured, not
guessed: a label's box is the tight box of the object's pixels still visible at the end, and an
object hidden by more than 80% (or cut by the frame) gets no label.
"""
import math

import numpy as np
from PIL import Image, ImageDraw

from . import shapes as S
from .sensor import finish_ir, finish_rgb
from .shade import DeepShade
from .thermal import Thermal

CLASSES = ("person", "car", "bicycle")
CONDITIONS = ("day", "night", "fog", "glare")

MIN_VISIBLE_FRACTION = 0.2
MIN_BOX_PX = 3
GENERATION = 3          # 2 added glass panes and cold-weather clothing (IR failures beyond crossover);
                        # 3 added crossover at low sun, damp clothing in fog, parked bikes that
                        # mirror the ground, and more glass; 4 (opt-in) adds deep shade by day;
                        # 5 (opt-in) is 3 with exposed skin keeping part of its contrast in daytime crossover;
                        # 6 (opt-in) is 3 with the whole person keeping 10-35 % of its contrast in it
BEHIND_GLASS_P = {2: 0.15, 3: 0.2}  # people behind a shop window or shelter wall, in every condition
INSULATED_P = 0.3       # people in cold-weather clothing at night, in fog and in glare
DAMP_CLOTHING_P = 0.5   # generation 3: in fog, clothing wet with mist sits at air temperature as well
LOW_SUN_CROSSOVER_P = 0.75  # generation 3: clothing at the ground's temperature in glare scenes
REFLECTING_PANES_P = {2: [.5, .3, .2], 3: [.3, .3, .25, .15]}  # empty panes per scene: 0, 1, 2, (3)
PANES = ("pane", "pane_reflection")  # glass in front of the person placed there, or free-standing


class Camera:
    """Pinhole camera over a flat ground plane.

    A thing standing at image row y is at distance f*cam_h/(y - horizon) and spans
    (y - horizon)/cam_h pixels per metre, so sampling the pixel size fixes where it stands.
    The camera height is chosen so that a person at the bottom edge is 15-45% of the image tall.
    """

    def __init__(self, rng, W, H):
        self.W, self.H = W, H
        self.horizon = H * rng.uniform(-0.35, 0.45)
        person_bottom = H * rng.uniform(0.15, 0.45)
        self.cam_h = 1.75 * (H - self.horizon) / person_bottom
        self.f = W * rng.uniform(0.8, 1.3)

    def s_at(self, y):
        return max(1e-3, (y - self.horizon) / self.cam_h)

    def y_for(self, s):
        return self.horizon + s * self.cam_h

    def dist(self, y):
        return self.f * self.cam_h / max(1e-3, y - self.horizon)

    def s_range(self):
        top = max(0.0, self.horizon + 1.0)
        return self.s_at(top), self.s_at(self.H)


class World:
    """The three render targets plus per-entity bookkeeping."""

    def __init__(self, W, H, th, cam, generation):
        self.W, self.H, self.th, self.cam = W, H, th, cam
        self.generation = generation
        self.depth_lut = np.full(256, 1e4, np.float32)
        self.next_obj_id, self.next_clutter_id = 1, 255
        self.labelled = []      # (id, class, geometric bbox, in-frame pixel count)
        self.emitters = []      # (x, y, radius px, rgb[, strength]) light sources for night lighting
        self.shade = None       # DeepShade by day from generation 4

    def begin(self, rgb, temp):
        self.rgb = Image.fromarray(rgb, "RGB")
        self.temp = Image.fromarray(temp, "F")
        self.ids = Image.new("L", (self.W, self.H), 0)
        self.glow = Image.new("RGB", (self.W, self.H), (0, 0, 0))
        self.d_rgb, self.d_t = ImageDraw.Draw(self.rgb), ImageDraw.Draw(self.temp)
        self.d_id, self.d_glow = ImageDraw.Draw(self.ids), ImageDraw.Draw(self.glow)

    def new_id(self, depth, clutter=False):
        # Objects and decoys count up from 1, clutter down from 255; clutter shares the last
        # free id when a busy scene runs out (only its fog depth is then approximate).
        if clutter:
            eid = max(self.next_clutter_id, self.next_obj_id)
            self.next_clutter_id = max(self.next_clutter_id - 1, self.next_obj_id + 1)
        else:
            eid = self.next_obj_id
            self.next_obj_id += 1
        self.depth_lut[eid] = depth
        return eid

    def draw(self, prims, eid):
        for p in prims:
            targets = ((self.d_rgb, p.rgb), (self.d_t, p.temp), (self.d_id, eid), (self.d_glow, p.emit))
            for d, fill in targets:
                if fill is None:
                    continue
                _prim(d, p, fill)

    def glass_pane(self, rng, box, reflection=None):
        """A shop window or shelter wall: glass passes visible light but is opaque to LWIR.

        RGB keeps what is behind, tinted and with a faint sky reflection; IR replaces it with the
        glass's own temperature (it mirrors the cold sky), plus a weak thermal reflection of a
        warm body in front of it when `reflection` (person primitives) is given. Entity ids stay
        as they are: a person behind the glass is still in view, and still labelled."""
        x0, y0, x1, y1 = _clip_box(box, self.W, self.H)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        th = self.th
        rgb = np.asarray(self.rgb.crop((x0, y0, x1, y1)), np.float32)
        tint = np.array(S._c((150, 175, 185), rng.uniform(0.8, 1.15, 3)), np.float32)
        a = rng.uniform(0.15, 0.35)
        rows = np.linspace(0.0, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
        rgb = rgb * (1 - a) + tint * a * (1.3 - 0.6 * rows)  # the sky's reflection fades downwards
        self.rgb.paste(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB"), (x0, y0))
        t_glass = th.glass(rng)
        temp = np.full((y1 - y0, x1 - x0), t_glass, np.float32) + 1.5 * rows[..., 0]
        if reflection is not None:
            mask = Image.new("L", (x1 - x0, y1 - y0), 0)
            d = ImageDraw.Draw(mask)
            for q in reflection:
                _prim(d, _mapped(q, lambda pt: (pt[0] - x0, pt[1] - y0)), 255)
            # Glass reflects about a tenth of LWIR: the body shows a few degrees over the glass.
            warm = t_glass + rng.uniform(0.1, 0.25) * (th.skin(rng) + 2 - t_glass)
            temp = np.where(np.asarray(mask) > 0, warm, temp)
        self.temp.paste(Image.fromarray(temp, "F"), (x0, y0))


def _mapped(p, f):
    """A primitive with every point moved by f; a box maps its two corners and stays a box."""
    g = p.geom
    if p.kind in ("poly", "line"):
        return p._replace(geom=[f(q) for q in g])
    a, b = f((g[0], g[1])), f((g[2], g[3]))
    return p._replace(geom=(a[0], a[1], b[0], b[1]))


def _prim(d, p, fill):
    k, g = p.kind, p.geom
    if k == "poly":
        d.polygon(g, fill=fill)
    elif k == "ellipse":
        d.ellipse(_order(g), fill=fill)
    elif k == "ring":
        d.ellipse(_order(g), outline=fill, width=p.width)
    elif k == "rect":
        d.rectangle(_order(g), fill=fill)
    elif k == "line":
        d.line(g, fill=fill, width=p.width, joint="curve" if len(g) > 2 else None)
        if p.width >= 4:  # round caps so limbs do not end in square stumps
            r = p.width / 2
            for x, y in (g[0], g[-1]):
                d.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def _order(b):
    x0, y0, x1, y1 = b
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def prims_bbox(prims):
    xs, ys = [], []
    for p in prims:
        g = p.geom
        if p.kind in ("poly", "line"):
            xs += [q[0] for q in g]
            ys += [q[1] for q in g]
            if p.kind == "line":
                r = p.width / 2
                xs += [min(xs) - r, max(xs) + r]
                ys += [min(ys) - r, max(ys) + r]
        else:
            xs += [g[0], g[2]]
            ys += [g[1], g[3]]
    return min(xs), min(ys), max(xs), max(ys)


def _clip_box(b, W, H):
    x0, y0, x1, y1 = b
    return (max(0, int(math.floor(x0))), max(0, int(math.floor(y0))),
            min(W, int(math.ceil(x1)) + 1), min(H, int(math.ceil(y1)) + 1))


# ----------------------------------------------------------------------------------------------
# Background
# ----------------------------------------------------------------------------------------------

def _lowres_noise(rng, h, w, H, W):
    small = rng.standard_normal((h, w)).astype(np.float32)
    return np.asarray(Image.fromarray(small, "F").resize((W, H), Image.BILINEAR))


def background(rng, world, cond):
    W, H, th, cam = world.W, world.H, world.th, world.cam
    hz = int(np.clip(round(cam.horizon), 0, H))
    rows = np.arange(H, dtype=np.float32)[:, None]
    rgb = np.empty((H, W, 3), np.float32)
    temp = np.empty((H, W), np.float32)
    # Sky: lighter towards the horizon; overcast grey for fog.
    if cond == "fog":
        top, low = np.array([170, 172, 175]), np.array([200, 200, 200])
    else:
        top, low = np.array([90, 140, 215]) * rng.uniform(0.85, 1.1), np.array([190, 210, 230])
    if hz > 0:
        a = (rows[:hz] / max(1, hz))[..., None]
        rgb[:hz] = top * (1 - a) + low * a
        temp[:hz] = th.sky + 4.0 * (rows[:hz] / max(1, hz))  # sky warms towards the horizon
    # Ground: a random surface, darker far away (more grass / texture averaging).
    ground = np.array([(105, 105, 108), (125, 120, 112), (85, 110, 65), (140, 135, 125)][rng.integers(4)],
                      np.float32) * rng.uniform(0.8, 1.15, 3)
    if hz < H:
        rgb[hz:] = ground
        temp[hz:] = th.ground_temp
    tex = _lowres_noise(rng, max(2, H // 24), max(2, W // 24), H, W)
    rgb[hz:] *= (1 + 0.07 * tex[hz:, :, None])
    temp[hz:] += tex[hz:] * (0.3 + 0.6 * th.sun)  # sun makes patchy ground (wet/dry, shade)
    world.begin(np.clip(rgb, 0, 255).astype(np.uint8), temp)
    world.sky_rows = hz
    world.ground_rgb = tuple(int(v) for v in ground)

    # Road in perspective towards a vanishing point on the horizon.
    if rng.random() < 0.8 and hz < H - 4:
        vx = W * rng.uniform(0.1, 0.9)
        half = W * rng.uniform(0.3, 1.2)
        road = S._c((70, 70, 75), rng.uniform(0.7, 1.3))
        y0 = max(cam.horizon, 0)
        t_road = th.ground_temp + th.sun * rng.uniform(2, 8) + rng.uniform(0, 2)
        frac = (y0 - cam.horizon) / (H - cam.horizon)
        poly = [(vx + (vx - half - vx) * frac, y0), (vx + half * frac, y0), (vx + half, H), (vx - half, H)]
        world.draw([S.Prim("poly", poly, road, t_road)], 0)
        # Lane markings: dashes along the centre line (flat paint: no IR signature).
        for k in range(int(rng.integers(0, 3))):
            off = rng.uniform(-0.6, 0.6) * half
            n = 14
            for i in range(n):
                if i % 2:
                    continue
                fa, fb = max(frac, i / n), max(frac, (i + 0.6) / n)
                ya, yb = cam.horizon + (H - cam.horizon) * fa, cam.horizon + (H - cam.horizon) * fb
                wa, wb = 0.012 * W * fa, 0.012 * W * fb
                world.draw([S.Prim("poly", [(vx + off * fa - wa, ya), (vx + off * fa + wa, ya),
                                            (vx + off * fb + wb, yb), (vx + off * fb - wb, yb)],
                                   (220, 220, 210), t_road)], 0)

    # Far buildings and trees along the horizon.
    if 0.04 * H < cam.horizon < 0.6 * H:
        x = -rng.uniform(0, 0.1) * W
        while x < W:
            dist = rng.uniform(25, 140)
            s = cam.f / dist
            base = cam.y_for(s)
            if rng.random() < 0.7:
                bw, bh = rng.uniform(8, 30) * s, rng.uniform(6, 35) * s
                _building(rng, world, x, base, bw, bh, s, dist, cond)
                x += bw * rng.uniform(0.8, 1.2)
            else:
                world.draw(S.tree_prims(rng, th, x, base, s), world.new_id(dist, clutter=True))
                x += rng.uniform(2, 6) * s


def _building(rng, world, x, base, bw, bh, s, dist, cond):
    th = world.th
    col = S._c([(180, 170, 160), (150, 90, 70), (200, 200, 195), (120, 120, 125), (210, 190, 150)][rng.integers(5)],
               rng.uniform(0.8, 1.15, 3))
    t_wall = th.wall(rng)
    eid = world.new_id(dist, clutter=True)
    prims = [S.Prim("rect", (x, base - bh, x + bw, base), col, t_wall)]
    ww, wh = 1.2 * s, 1.5 * s
    if ww >= 2:
        nx, ny = int(bw / (3 * s)), int(bh / (3.2 * s))
        night = cond == "night"
        lit_p = 0.35 if night else 0.0
        for i in range(min(nx, 10)):
            for j in range(min(ny, 8)):
                wx, wy = x + (i + 0.5) * bw / max(1, nx) - ww / 2, base - bh + (j + 0.4) * bh / max(1, ny)
                lit = rng.random() < lit_p
                prims.append(S.Prim("rect", (wx, wy, wx + ww, wy + wh), (230, 200, 120) if lit else (60, 75, 95),
                                    t_wall + (rng.uniform(2, 6) if lit else th.glass(rng) - t_wall),
                                    1, (255, 210, 130) if lit else None))
    world.draw(prims, eid)
    world.buildings = getattr(world, "buildings", []) + [(x, base, bw, bh, s, col, t_wall, eid)]


# ----------------------------------------------------------------------------------------------
# Entities
# ----------------------------------------------------------------------------------------------

def _sample_s(rng, cam, lo, hi):
    """Pixels-per-metre for a new thing, log-uniform in [lo, hi] clipped to the visible ground."""
    s_min, s_max = cam.s_range()
    lo, hi = max(lo, s_min), min(hi, s_max * 1.08)
    if hi <= lo:
        return None
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def compose(rng, world, cond):
    """Place objects, decoys and occluders; draw shadows, then everything back to front."""
    W, H, th, cam = world.W, world.H, world.th, world.cam
    night = cond == "night"
    items = []  # (ground row y, kind, callable returning (prims, label class or None, extra))

    # Size limits: smallest boxes ~16 px (8 px at the 320 px training size, one cell of the finest
    # stride), largest ~40% of the image.
    def s_for(min_px, min_metres, max_frac, max_metres, dim):
        return _sample_s(rng, cam, min_px / min_metres, max_frac * dim / max_metres)

    n_person = int(rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 14], p=[.12, .14, .14, .13, .12, .11, .1, .08, .06]))
    n_car = int(rng.choice([0, 1, 2, 3, 4, 6], p=[.2, .25, .22, .15, .1, .08]))
    n_bike = int(rng.choice([0, 1, 2, 3], p=[.35, .35, .2, .1]))
    crowd = rng.random() < 0.3
    crowd_x, crowd_s = rng.uniform(0.1, 0.9) * W, None

    for _ in range(n_person):
        s = s_for(16, 1.75, 0.42, 1.75, H)
        if s is None:
            continue
        if crowd and crowd_s is None:
            crowd_s = s
        if crowd and rng.random() < 0.7:
            s = crowd_s * rng.uniform(0.8, 1.25)
            x = crowd_x + rng.normal(0, 1.2) * s
        else:
            x = rng.uniform(-0.05, 1.05) * W
        items.append((cam.y_for(s), "person", x, s))
    for _ in range(n_car):
        s = s_for(16, 1.5, 0.42, 4.6, W)
        if s is not None:
            items.append((cam.y_for(s), "car", rng.uniform(-0.1, 1.1) * W, s))
    for _ in range(n_bike):
        s = s_for(14, 1.0, 0.38, 1.8, W)
        if s is not None:
            items.append((cam.y_for(s), "bicycle", rng.uniform(-0.05, 1.05) * W, s))

    # Decoys: RGB ones (mannequin, poster, painted bike, shadow) are cold in IR; IR ones (lamps,
    # hot blobs, vents, dogs, warm car-shaped ground) do not look like the classes in RGB.
    n_decoy = int(rng.integers(1, 7))
    decoy_kinds = ["mannequin", "poster", "lamp", "hot_blob", "vent", "dog", "ghost_car", "painted_bike"]
    for _ in range(n_decoy):
        kind = str(rng.choice(decoy_kinds, p=[.16, .16, .16, .16, .1, .1, .08, .08]))
        s = s_for(16, 1.75, 0.35, 2.5, H)
        if s is not None:
            items.append((cam.y_for(s), kind, rng.uniform(0, 1) * W, s))
    # Glass: some people stand behind a shop window or a shelter wall (seen in RGB, hidden in
    # IR), and empty panes may carry a warm reflection that IR alone takes for a person.
    if world.generation >= 2:
        for y, kind, x, s in list(items):
            if kind == "person" and rng.random() < BEHIND_GLASS_P[min(world.generation, 3)]:
                items.append((y + 0.5, "pane", x, s))
        p_panes = REFLECTING_PANES_P[min(world.generation, 3)]
        for _ in range(int(rng.choice(len(p_panes), p=p_panes))):
            s = s_for(16, 1.75, 0.35, 2.5, H)
            if s is not None:
                items.append((cam.y_for(s), "pane_reflection", rng.uniform(0, 1) * W, s))
    # Occluders.
    for _ in range(int(rng.integers(0, 6))):
        kind = str(rng.choice(["tree", "bush", "pole", "fence"], p=[.3, .3, .25, .15]))
        s = _sample_s(rng, cam, 2, 0.5 * H / 1.0)
        if s is not None:
            items.append((cam.y_for(s), kind, rng.uniform(-0.05, 1.05) * W, s))

    items.sort(key=lambda it: it[0])
    if world.generation == 4 and cond == "day":
        world.shade = DeepShade(rng, world)
    shadow = _ShadowLayer(world) if cond in ("day", "glare") and th.sun > 0.3 else None
    if shadow and getattr(world, "buildings", None) and rng.random() < 0.7:
        # Upright person-shaped shadows on facades: person-like in RGB, nothing in IR.
        for _ in range(int(rng.integers(1, 4))):
            bx, base, bw, bh, s, *_ = world.buildings[rng.integers(len(world.buildings))]
            j = S.person_joints(rng, bx + rng.uniform(0.1, 0.9) * bw, base - rng.uniform(0, 0.2) * s, 1.75 * s,
                                int(rng.choice([-1, 1])), "walk")
            shadow.add(S.person_prims(j, None, flat=((0, 0, 0), 0.0)), shear=None)

    built = []
    for y, kind, x, s in items:
        built.append((y, kind, x, s, _build(rng, world, cond, kind, x, y, s, night)))
    if shadow:
        sx = rng.uniform(-1.2, 1.2)
        sy = rng.uniform(0.05, 0.35)
        for y, kind, x, s, parts in built:
            if kind in ("vent", "ghost_car", "painted_bike"):
                continue
            for prims, _, _ in parts:
                shadow.add(prims, shear=(y, sx, sy))
        shadow.apply(rng)

    # Flat things on the ground go first so they never paint over a farther object's feet.
    flat = ("vent", "ghost_car", "painted_bike")
    built.sort(key=lambda b: (b[1] not in flat, b[0]))
    for y, kind, x, s, parts in built:
        depth = cam.dist(y)
        if kind in PANES:
            _pane(rng, world, kind, x, y, s, depth, night)
            continue
        for prims, cls, _ in parts:
            if not prims:
                continue
            eid = world.new_id(depth, clutter=cls is None and kind in ("tree", "bush", "pole", "fence"))
            world.draw(prims, eid)
            if world.shade and world.shade.covers(x, y):
                world.shade.ids.add(eid)
            if cls is not None:
                box = prims_bbox([p for p in prims if p.rgb is not None])
                cb = _clip_box(box, world.W, world.H)
                if cb[2] <= cb[0] or cb[3] <= cb[1]:
                    continue
                n0 = int((np.asarray(world.ids.crop(cb)) == eid).sum())
                if n0 > 0:
                    world.labelled.append((eid, cls, box, cb, n0))
    if world.shade:
        world.shade.apply()


def _build(rng, world, cond, kind, x, y, s, night):
    """Parts of one placed thing: [(prims, class id or None (not labelled), info)]. A ridden
    bicycle has two parts, the bicycle and its rider (labelled as a person)."""
    th = world.th
    parts = []
    if kind == "person":
        look = _crossover(rng, world, S.person_look(rng, th), x, y - 0.9 * s, y)
        look = _insulated(rng, world, look)
        h = 1.75 * s * (rng.uniform(0.62, 0.78) if rng.random() < 0.12 else rng.uniform(0.9, 1.1))
        pose = str(rng.choice(["stand", "walk", "run", "wave"], p=[.3, .45, .15, .1]))
        facing = int(rng.choice([-1, 0, 1]))
        parts.append((S.person_prims(S.person_joints(rng, x, y, h, facing, pose), look), 0, None))
    elif kind == "car":
        view = int(rng.choice([-1, 1, 0, 2], p=[.3, .3, .2, .2]))
        running = rng.random() < (0.6 if not night else 0.7)
        prims, _, _ = S.car_prims(rng, th, x, y, s, view, running)
        parts.append((prims, 1, None))
        if running and (night or cond == "fog"):
            # Headlights light up the road ahead at night.
            world.emitters.append((x, y - 0.6 * s, 3.0 * s, (255, 245, 220)))
    elif kind == "bicycle":
        d = int(rng.choice([-1, 1]))
        g = S.bicycle_geometry(x, y, s, d, rng.uniform(0, 0.9))
        ridden = rng.random() < 0.6
        prims = S.bicycle_prims(rng, th, g, s, ridden)
        if world.generation >= 3 and not ridden and cond != "night":
            # A parked bike's thin low-emissivity frame mirrors the ground around it; only the
            # cold night sky makes it stand out. Take the ground's temperature where it stands.
            t_here = _temp_at(world, x, y)
            prims = [p._replace(temp=t_here + rng.normal(0, 0.3)) for p in prims]
        parts.append((prims, 2, None))
        if ridden:
            look = _insulated(rng, world, _crossover(rng, world, S.person_look(rng, th), x, y - 0.9 * s, y))
            h = 1.75 * s * rng.uniform(0.92, 1.08)
            j = S.rider_joints(g["saddle"], g["bar"], g["pedal"], g["bb"], h, d)
            parts.append((S.person_prims(j, look), 0, None))
    elif kind == "mannequin":
        look = S.person_look(rng, th)
        t = th.ambient_object(rng)
        j = S.person_joints(rng, x, y, 1.8 * s, int(rng.choice([-1, 0, 1])), str(rng.choice(["stand", "wave"])))
        if rng.random() < 0.5:   # bare plastic
            col = S._c((235, 220, 200), rng.uniform(0.7, 1.05))
            prims = S.person_prims(j, None, flat=(col, t))
        else:                    # dressed: only the temperature gives it away
            prims = [p._replace(temp=t) for p in S.person_prims(j, look)]
        prims.append(S.Prim("rect", (x - 0.25 * s, y - 0.05 * s, x + 0.25 * s, y + 0.02 * s), (90, 90, 90), t))
        parts.append((prims, None, None))
    elif kind == "poster":
        parts.append((S.poster_prims(rng, th, x, y, s, S.person_look(rng, th), rng), None, None))
    elif kind == "lamp":
        prims, head = S.lamp_prims(rng, th, x, y, s, night or cond == "fog")
        parts.append((prims, None, None))
        if night or cond == "fog":
            world.emitters.append((head[0], y, rng.uniform(4, 9) * s, (255, 220, 160)))
    elif kind == "hot_blob":
        parts.append((S.hot_blob_prims(rng, th, x, y, s), None, None))
    elif kind == "vent":
        parts.append((S.vent_prims(rng, th, x, y, s), None, None))
    elif kind == "dog":
        parts.append((S.dog_prims(rng, th, x, y, s, int(rng.choice([-1, 1]))), None, None))
    elif kind == "ghost_car":
        parts.append((S.ghost_car_prims(rng, th, x, y, s), None, None))
    elif kind == "painted_bike":
        # Paint has the emissivity of the surface it is on: take that surface's temperature.
        t_here = _temp_at(world, x, y)
        prims = S.painted_bike_prims(rng, th, x, y, s * rng.uniform(1.5, 2.5))
        parts.append(([p._replace(temp=t_here) for p in prims], None, None))
    elif kind in PANES:
        pass  # drawn over what is behind it (_pane), not as primitives
    elif kind == "tree":
        parts.append((S.tree_prims(rng, th, x, y, s), None, None))
    elif kind == "bush":
        parts.append((S.bush_prims(rng, th, x, y, s), None, None))
    elif kind == "pole":
        parts.append((S.pole_prims(rng, th, x, y, s), None, None))
    elif kind == "fence":
        parts.append((S.fence_prims(rng, th, x, y, s), None, None))
    return parts


def _crossover(rng, world, look, x, y, feet_y):
    """Thermal crossover. By day nine people in ten end up within a few tenths of a degree of
    whatever is behind them (sun-heated road or ground), about the sensor's noise, so in IR they
    vanish; the rest keep the physical model and stay visible (cooler or warmer than the ground).
    From generation 3 glare scenes cross over too, as the low sun of glare is the sun of morning
    and evening, the hours of crossover: three people in four have clothing and hair at the
    ground's temperature, and the cold air keeps their skin within a third of its contrast.
    (x, y) is the point behind the body; people standing in deep shade (feet_y) never cross over."""
    cond = world.th.condition
    if world.shade and world.shade.covers(x, feet_y):
        return look  # out of the sun: no crossover
    low_sun = world.generation >= 3 and cond == "glare"
    if not (cond == "day" or low_sun) or rng.random() > (LOW_SUN_CROSSOVER_P if low_sun else 0.9):
        return look
    bg = _temp_at(world, x, y)
    original, look = look, dict(look)
    look["t_top"], look["t_bottom"] = bg + rng.normal(0, 0.3), bg + rng.normal(0, 0.3)
    if low_sun:
        look["t_hair"], look["t_bag"] = bg + rng.normal(0, 0.3), bg + rng.normal(0, 0.3)
        look["t_skin"] = bg + rng.uniform(0.0, 0.3) * max(0.0, look["t_skin"] - bg)
        return look
    offset = rng.uniform(-0.3, 0.6)
    if world.generation == 6:
        # Crossover is an hour, not a state: around it each surface's contrast passes through zero at its own
        # time, so a person keeps 10 to 35 % of the contrast the physical model gives (clothing, hair, skin and
        # bag alike): weak in IR, not gone. Derived from the draws above, so no RGB pixel changes.
        keep = 0.10 + 0.25 * (offset + 0.3) / 0.9
        noise = {"t_top": look["t_top"] - bg, "t_bottom": look["t_bottom"] - bg,
                 "t_hair": rng.normal(0, 0.3), "t_bag": rng.normal(0, 0.3), "t_skin": 0.0}
        for k, n in noise.items():
            look[k] = bg + keep * (original[k] - bg) + n
        return look
    if world.generation == 5:
        # Skin is held near 34 C whatever the sun does to clothing, so the face and hands keep 15 to 50 % of
        # their contrast with the ground (a warm or cool spot of a degree or two) while the rest of the body
        # vanishes. Derived from the same draw, so no other random number and no RGB pixel changes.
        keep = 0.15 + 0.35 * (offset + 0.3) / 0.9
        look["t_skin"] = bg + keep * (look["t_skin"] - bg)
    else:
        look["t_skin"] = bg + offset
    look["t_hair"] = bg + rng.normal(0, 0.3)
    look["t_bag"] = bg + rng.normal(0, 0.3)
    return look


def _temp_at(world, x, y):
    """The temperature drawn so far at (x, y), clamped to the frame."""
    return world.temp.getpixel((int(np.clip(x, 0, world.W - 1)), int(np.clip(y, 0, world.H - 1))))


def _insulated(rng, world, look):
    """Cold-weather clothing: a padded coat, a hood and gloves sit at about air temperature, so
    in IR such a person shrinks to a dim face (the other IR failure besides crossover)."""
    th = world.th
    p = DAMP_CLOTHING_P if world.generation >= 3 and th.condition == "fog" else INSULATED_P
    if world.generation < 2 or th.condition == "day" or rng.random() > p:
        return look
    look = dict(look)
    coat = th.ambient + rng.uniform(0.3, 1.8) + th.sun * rng.uniform(0, 2)
    look["t_top"], look["t_bottom"] = coat, coat + rng.normal(0, 0.5)
    look["t_hair"], look["t_bag"] = coat + rng.normal(0, 0.3), coat
    look["t_skin"] = th.ambient + rng.uniform(0.3, 0.6) * (look["t_skin"] - th.ambient)  # a face in the cold
    return look


def _pane(rng, world, kind, x, y, s, depth, night):
    """A glass pane standing on the ground at (x, y) with its frame: in front of the person
    placed there ("pane"), or free-standing with a warm reflection ("pane_reflection")."""
    hw = rng.uniform(0.6, 1.6) * s
    cx = x + rng.uniform(-0.4, 0.4) * hw
    top, base = y - rng.uniform(2.3, 3.0) * s, y + 0.05 * s
    reflection = None
    if kind == "pane_reflection":
        j = S.person_joints(rng, cx + rng.uniform(-0.3, 0.3) * hw, base - rng.uniform(0, 0.1) * s,
                            1.75 * s * rng.uniform(0.85, 1.05), int(rng.choice([-1, 0, 1])),
                            str(rng.choice(["stand", "walk"])))
        reflection = S.person_prims(j, None, flat=((0, 0, 0), 0.0))
    world.glass_pane(rng, (cx - hw, top, cx + hw, base), reflection)
    th = world.th
    t = th.metal(rng)
    col = S._c((95, 95, 100), rng.uniform(0.7, 1.3))
    fw = S._lw(0.07 * s)
    sill = rng.uniform(0.0, 0.35) * s
    frame = [S.Prim("line", [(cx - hw, top), (cx - hw, base)], col, t, fw),
             S.Prim("line", [(cx + hw, top), (cx + hw, base)], col, t, fw),
             S.Prim("line", [(cx - hw, top), (cx + hw, top)], col, t, fw)]
    if sill >= 1:
        frame.append(S.Prim("rect", (cx - hw, base - sill, cx + hw, base), S._c((150, 148, 140), rng.uniform(0.7, 1.1)),
                            th.wall(rng)))
    world.draw(frame, world.new_id(depth, clutter=True))
    if night and kind == "pane" and rng.random() < 0.7:
        # A lit shop window: the light inside shows the people behind the glass.
        world.emitters.append((cx, base - 0.9 * s, max(2.0 * hw, 2.2 * s), (255, 235, 190), rng.uniform(0.2, 0.45)))


class _ShadowLayer:
    """Sun shadows: a darkening mask for RGB and a slight cooling in IR (shaded ground is cooler,
    a real 'thermal shadow'). Applied to the background before standing things are drawn."""

    def __init__(self, world):
        self.world = world
        self.mask = Image.new("L", (world.W, world.H), 0)
        self.d = ImageDraw.Draw(self.mask)

    def add(self, prims, shear):
        for p in prims:
            if p.rgb is None:
                continue
            q = p
            if shear is not None:
                y0, sx, sy = shear
                q = _mapped(p, lambda pt: (pt[0] + (y0 - pt[1]) * sx, y0 + (y0 - pt[1]) * sy))
            _prim(self.d, q, 255)

    def apply(self, rng):
        w = self.world
        m = np.asarray(self.mask, np.float32) / 255.0
        if not m.any():
            return
        dark = rng.uniform(0.4, 0.65)
        rgb = np.asarray(w.rgb, np.float32) * (1 - dark * m[..., None])
        temp = np.asarray(w.temp, np.float32) - m * w.th.sun * rng.uniform(1, 4)
        ids = w.ids  # shadows carry no id
        w.begin(rgb.astype(np.uint8), temp.astype(np.float32))
        w.ids = ids
        w.d_id = ImageDraw.Draw(ids)


# ----------------------------------------------------------------------------------------------
# One pair
# ----------------------------------------------------------------------------------------------

def labels_from(world):
    """YOLO labels (class, cx, cy, w, h normalised) of the objects still visible enough."""
    ids = np.asarray(world.ids)
    out = []
    for eid, cls, _, cb, n0 in world.labelled:
        crop = ids[cb[1]:cb[3], cb[0]:cb[2]] == eid
        n1 = int(crop.sum())
        if n1 < 6 or n1 < MIN_VISIBLE_FRACTION * n0:
            continue
        rows, cols = np.nonzero(crop.any(1))[0], np.nonzero(crop.any(0))[0]
        x0, x1 = cb[0] + cols[0], cb[0] + cols[-1] + 1
        y0, y1 = cb[1] + rows[0], cb[1] + rows[-1] + 1
        if x1 - x0 < MIN_BOX_PX or y1 - y0 < MIN_BOX_PX:
            continue
        W, H = world.W, world.H
        out.append((cls, (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H))
    return out


def render_pair(rng, W, H, condition=None, generation=GENERATION):
    """Render one pair. Returns (rgb uint8 [H,W,3], ir uint8 [H,W], labels, condition).
    Earlier generations draw their scenes exactly as before: 1 without glass and cold-weather
    clothing, 2 without crossover at low sun and with fewer panes, 3 without deep shade."""
    cond = condition or str(rng.choice(CONDITIONS))
    th = Thermal(cond, rng)
    cam = Camera(rng, W, H)
    world = World(W, H, th, cam, generation)
    background(rng, world, cond)
    compose(rng, world, cond)
    labels = labels_from(world)
    ids = np.asarray(world.ids)
    row_depth = np.array([cam.dist(y + 0.5) if y + 0.5 > cam.horizon else 1e4 for y in range(H)], np.float32)
    depth = np.where(ids == 0, row_depth[:, None], world.depth_lut[ids])
    rgb = finish_rgb(rng, world, cond, depth)
    ir = finish_ir(rng, world, cond, depth)
    return rgb, ir, labels, cond
