"""Deep shade by day (generation 4): an RGB failure for the one condition that had none.

A building or tree outside the frame casts a band of shadow across the ground. The camera's
exposure is set for the sunlit scene, so whatever stands in the band gets an eighth to a
sixteenth of the light (three to four stops) and sinks towards the 8-bit noise floor. In IR the
shaded ground is several degrees cooler than the sunlit ground, and people standing there are out
of the sun, so they do not cross over: they stand out against the cool ground.
"""
import numpy as np
from PIL import Image, ImageDraw

BANDS_P = [.2, .5, .3]  # shade bands per day scene: 0, 1 or 2


class DeepShade:
    def __init__(self, rng, world):
        self.world = world
        self.bands = []  # (left edge at the horizon, width, horizontal shift per row below it)
        for _ in range(int(rng.choice(len(BANDS_P), p=BANDS_P))):
            self.bands.append((rng.uniform(-0.1, 0.9) * world.W, rng.uniform(0.2, 0.4) * world.W,
                               rng.uniform(-0.6, 0.6)))
        self.light = rng.uniform(1 / 16, 1 / 8)
        self.cooling = world.th.sun * rng.uniform(3, 8)
        self.ids = set()  # entities standing in a band, shaded whole

    def covers(self, x, y):
        """Whether the ground point (x, y) (where a thing stands) lies in a band."""
        below = y - self.world.cam.horizon
        return below > 0 and any(a + lean * below <= x <= a + lean * below + w for a, w, lean in self.bands)

    def _polygon(self, band):
        a, w, lean = band
        hz = self.world.cam.horizon
        top, bottom = max(hz, 0.0), float(self.world.H)
        return [(a + lean * (top - hz), top), (a + w + lean * (top - hz), top),
                (a + w + lean * (bottom - hz), bottom), (a + lean * (bottom - hz), bottom)]

    def apply(self):
        """Darken the shaded ground and everything standing in a band; cool the shaded ground."""
        if not self.bands:
            return
        w = self.world
        mask = Image.new("L", (w.W, w.H), 0)
        draw = ImageDraw.Draw(mask)
        for band in self.bands:
            draw.polygon(self._polygon(band), fill=255)
        ids = np.asarray(w.ids)
        ground = (np.asarray(mask) > 0) & (ids == 0)
        shaded = ground | np.isin(ids, sorted(self.ids))
        rgb = np.asarray(w.rgb, np.float32).copy()
        rgb[shaded] *= self.light
        w.rgb.paste(Image.fromarray((rgb + 0.5).astype(np.uint8), "RGB"))
        temp = np.asarray(w.temp, np.float32).copy()
        temp[ground] -= self.cooling
        w.temp.paste(Image.fromarray(temp, "F"))
