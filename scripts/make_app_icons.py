"""Draw the installable app's PNG icons (run once; the PNGs are committed as static files).

    .venv/bin/python scripts/make_app_icons.py

The same mark as favicon.svg: the brand purple with the pair of quote marks in white.
"Maskable" keeps the mark inside the central 80% safe zone that launchers may crop to.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = "#6b2f8a"
OUT = Path(__file__).resolve().parents[1] / "tandem" / "push" / "static" / "tandem" / "icons"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def icon(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, size, size), fill=BRAND)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 7 // 32, fill=BRAND)
    font = ImageFont.truetype(FONT, int(size * (0.5 if maskable else 0.62)))
    draw.text((size / 2, size / 2), "❛❜", font=font, fill="white", anchor="mm")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
