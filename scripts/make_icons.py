"""Draw the app icons (192 and 512 px, plain and maskable) into pipcompanion/static/icons/.

Run once when the design changes, with Pillow available (it is not a dependency of the app):
    python -m venv /tmp/icons && /tmp/icons/bin/pip install pillow && /tmp/icons/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "pipcompanion" / "static" / "icons"
ACCENT = (138, 59, 18)
PARENT = (255, 217, 194)
BABY = (255, 244, 236)


def draw(size: int, *, maskable: bool) -> Image.Image:
    """A parent's head with a baby's beside it, above an embracing arm, as in icon.svg."""
    scale = 4  # draw large, then shrink, for smooth edges
    canvas = size * scale
    image = Image.new("RGBA", (canvas, canvas), ACCENT if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, canvas - 1, canvas - 1), radius=canvas * 14 // 64, fill=ACCENT)
    # Maskable icons keep their drawing inside the central 80% safe zone.
    unit = canvas / 64 * (0.8 if maskable else 1.0)
    offset = (canvas - unit * 64) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * unit, offset + y * unit

    def circle(cx: float, cy: float, r: float, colour: tuple[int, int, int]) -> None:
        (x, y) = at(cx, cy)
        pen.ellipse((x - r * unit, y - r * unit, x + r * unit, y + r * unit), fill=colour)

    circle(26, 28, 12, PARENT)
    circle(42, 38, 8, BABY)
    left, top = at(16, 42)
    right, bottom = at(48, 58)
    pen.arc((left, top, right, bottom), start=200, end=340, fill=BABY, width=int(4 * unit))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in (192, 512):
        draw(size, maskable=False).save(ICONS / f"icon-{size}.png", optimize=True)
        draw(size, maskable=True).save(ICONS / f"maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
