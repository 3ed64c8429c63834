"""Draw the Teams app icons (run once; the PNGs are committed): `python manifest/teams/draw_icons.py`.

Teams wants `color.png` 192×192 in full colour and `outline.png` 32×32, white on a transparent background.
The mark is a check inside a circle: every precondition checked before take-off.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (31, 111, 235, 255)  # the manifest's accentColor, #1F6FEB
WHITE = (255, 255, 255, 255)


def color_icon(size: int = 192) -> Image.Image:
    image = Image.new("RGBA", (size, size), ACCENT)
    draw = ImageDraw.Draw(image)
    margin, width = size * 0.2, round(size * 0.06)
    draw.ellipse((margin, margin, size - margin, size - margin), outline=WHITE, width=width)
    check = [(size * 0.36, size * 0.52), (size * 0.46, size * 0.62), (size * 0.65, size * 0.40)]
    draw.line(check, fill=WHITE, width=round(size * 0.07), joint="curve")
    return image


def outline_icon(size: int = 32) -> Image.Image:
    # Drawn 8× larger and scaled down for smooth edges, then every visible pixel made pure white.
    big = Image.new("RGBA", (size * 8, size * 8), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    s = size * 8
    draw.ellipse((s * 0.06, s * 0.06, s * 0.94, s * 0.94), outline=WHITE, width=round(s * 0.09))
    draw.line([(s * 0.28, s * 0.52), (s * 0.43, s * 0.67), (s * 0.72, s * 0.36)], fill=WHITE, width=round(s * 0.1))
    small = big.resize((size, size), Image.Resampling.LANCZOS)
    alpha = small.getchannel("A")
    white = Image.new("RGBA", (size, size), WHITE)
    white.putalpha(alpha)
    return white


if __name__ == "__main__":
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)
