"""Surface temperatures per scene condition (deg C), the physics behind the IR image.

The IR camera's automatic gain maps the scene's temperature range to 8 bits, so what matters is
the contrast between things, not absolute values:
  day    thermal crossover: air 24-34 C, sun-heated ground and clothing end up within a few
         degrees of skin, so people fade into the background (the classic IR failure), while
         sun-baked dark car roofs and hot spots dominate the gain.
  night  cold air and ground, warm bodies and engines: IR at its best.
  fog    mild air, little sun; LWIR passes fog far better than visible light.
  glare  a cold sunny day with a low sun: good IR contrast (the sun blinds only the RGB camera),
         except that from generation 3 most clothing crosses over with the ground at low sun
         (scene.py applies that per person).
"""


class Thermal:
    def __init__(self, condition, rng):
        self.condition = condition
        u = rng.uniform
        if condition == "day":
            self.ambient = u(24, 34)
            self.ground_temp = self.ambient + u(0.5, 4.5)
            self.sky = self.ambient - u(6, 14)
            self.sun = u(0.5, 1.0)          # how strongly sunlit surfaces heat up
            self.skin_range = (33.0, 35.5)
            # Crossover: clothing close to its surroundings whatever its insulation.
            self.cloth_pull = u(0.05, 0.2)
        elif condition == "night":
            self.ambient = u(-2, 16)
            self.ground_temp = self.ambient + u(0.5, 4)  # asphalt keeps the day's heat
            self.sky = self.ambient - u(18, 30)
            self.sun = 0.0
            self.skin_range = (29.5, 33.0)
            self.cloth_pull = u(0.35, 0.55)
        elif condition == "fog":
            self.ambient = u(3, 18)
            self.ground_temp = self.ambient + u(-0.5, 2)
            self.sky = self.ambient - u(1, 4)            # fog is nearly as warm as the air
            self.sun = u(0.0, 0.2)
            self.skin_range = (30.0, 33.5)
            self.cloth_pull = u(0.3, 0.5)
        else:  # glare
            self.ambient = u(4, 20)
            self.ground_temp = self.ambient + u(1, 6)
            self.sky = self.ambient - u(12, 25)
            self.sun = u(0.3, 0.7)
            self.skin_range = (31.0, 34.0)
            self.cloth_pull = u(0.3, 0.5)

    def skin(self, rng):
        return rng.uniform(*self.skin_range)

    def clothing(self, rng, dark):
        # Clothing sits between air and skin (cloth_pull), plus solar heating for dark fabric.
        t = self.ambient + self.cloth_pull * (34.0 - self.ambient)
        return t + self.sun * rng.uniform(0, 5 if dark else 2.5) + rng.normal(0, 0.8)

    def hair(self, rng):
        return self.clothing(rng, True) + rng.uniform(-1, 1)

    def ambient_object(self, rng):
        """Inanimate things (boards, mannequins, bags): air temperature plus sun heating."""
        return self.ambient + self.sun * rng.uniform(0, 6) + rng.normal(0, 0.7)

    def car_body(self, rng, dark, running):
        if self.sun > 0:
            t = self.ambient + self.sun * rng.uniform(3, 18 if dark else 8)
        else:  # radiative cooling under a clear night sky
            t = self.ambient - rng.uniform(0.5, 3)
        return t + (rng.uniform(1, 4) if running else 0.0)

    def engine(self, rng):
        return self.ambient + rng.uniform(12, 35)

    def glass(self, rng):
        # LWIR does not pass glass; windows mirror the (cold) sky.
        return 0.55 * self.sky + 0.45 * self.ambient + rng.normal(0, 1)

    def metal(self, rng):
        # Low-emissivity metal reflects its surroundings: a little colder than the air.
        return self.ambient - rng.uniform(0, 2.5) + self.sun * rng.uniform(0, 2)

    def vegetation(self, rng):
        # Leaves transpire: near or below air temperature even in the sun.
        return self.ambient - rng.uniform(0, 3)

    def ground_day_night(self):
        return self.ground_temp

    def wall(self, rng):
        return self.ambient + self.sun * rng.uniform(0, 10) + rng.normal(0, 1)
