"""Procedural paired RGB + thermal IR scenes with people, cars and bicycles (tools/synth_data.py)."""
from .scene import CLASSES, CONDITIONS, GENERATION, render_pair

__all__ = ["CLASSES", "CONDITIONS", "GENERATION", "render_pair"]
