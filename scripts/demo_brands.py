"""Integration icons for a demo that runs without the internet.

Home Assistant's frontend draws every integration's icon (Settings > Devices, Integrations) from
its own ``/api/brands/integration/<domain>/<image>``. SmartMulti's comes from the integration's
``brand/`` folder. Home Assistant's own integrations the demo uses (Backup, Local Calendar) have
theirs on brands.home-assistant.io, which the ``brands`` integration fetches and caches in
``<config>/.cache/brands``; offline, it falls back on a placeholder it also fetches, and the page
shows a broken image. The demo puts a placeholder in that cache: with the internet the real
icons are still fetched, without it the placeholder is drawn.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw

# The brands integration's image names (homeassistant/components/brands/const.py); it serves
# the placeholder under the name asked for.
IMAGES = (
    "icon.png",
    "logo.png",
    "icon@2x.png",
    "logo@2x.png",
    "dark_icon.png",
    "dark_logo.png",
    "dark_icon@2x.png",
    "dark_logo@2x.png",
)
PLACEHOLDER = Path(".cache", "brands", "integrations", "_placeholder")


def placeholder_png(size: int = 256) -> bytes:
    """A grey rounded square with a puzzle piece's knob: a neutral "integration" icon."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    grey = (158, 158, 158, 255)
    margin, knob = size // 8, size // 6
    draw.rounded_rectangle(
        (margin, margin + knob // 2, size - margin, size - margin), radius=size // 12, fill=grey
    )
    middle = size // 2
    draw.ellipse(
        (middle - knob // 2, margin - knob // 3, middle + knob // 2, margin + knob * 2 // 3),
        fill=grey,
    )
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def install_brand_placeholder(config_dir: Path) -> None:
    """The placeholder in the brands cache, under every image name, unless already there."""
    folder = config_dir / PLACEHOLDER
    folder.mkdir(parents=True, exist_ok=True)
    png: bytes | None = None
    for name in IMAGES:
        path = folder / name
        if not path.exists() or path.stat().st_size == 0:  # an empty file caches a 404
            png = png or placeholder_png()
            path.write_bytes(png)
