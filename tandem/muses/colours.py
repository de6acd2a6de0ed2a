"""Turning a muse's chosen accent colour into text colours that stay readable."""

from __future__ import annotations

import functools

# The post card backgrounds of the light and dark themes (see tandem.css).
LIGHT_CARD = "#ffffff"
DARK_CARD = "#211d27"
# WCAG AA for normal-size text.
MINIMUM_CONTRAST = 4.5


def _channels(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in channels)


def relative_luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable_on(colour: str, background: str, minimum: float = MINIMUM_CONTRAST) -> str:
    """The colour itself if it reads well on the background, else the closest mix of it with
    black (on light backgrounds) or white (on dark ones) that does."""
    if contrast_ratio(colour, background) >= minimum:
        return colour
    target = 0.0 if relative_luminance(background) > 0.18 else 1.0
    base = _channels(colour)
    # Twenty steps of 5 % are enough: the last one is pure black or white.
    for step in range(1, 21):
        weight = step / 20
        mixed = _hex(tuple(c + (target - c) * weight for c in base))  # type: ignore[arg-type]
        if contrast_ratio(mixed, background) >= minimum:
            return mixed
    return _hex((target, target, target))


@functools.lru_cache(maxsize=4096)
def dialogue_colours(accent: str) -> tuple[str, str]:
    """Dialogue text colours for the light and the dark theme."""
    return readable_on(accent, LIGHT_CARD), readable_on(accent, DARK_CARD)
