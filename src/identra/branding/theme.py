"""The theme document stored in ``branding.config`` and what the pages make of it.

Every value is checked against a closed grammar (``#rrggbb`` colors, a radius in pixels, a font
from a fixed list, an ``https`` or small ``data:image`` logo), because the hosted pages put
them into their style block and an ``<img>`` as they are: nothing an administrator types can
become CSS or markup of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DATA_LOGO = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$")
MAX_LOGO_URL = 96 * 1024
MAX_NAME = 100
FONTS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "serif": 'Georgia, "Times New Roman", serif',
    "humanist": '"Gill Sans", "Trebuchet MS", Calibri, sans-serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}
# Theme field -> the CSS variable of templates/base.html it sets.
COLOR_VARIABLES = {
    "primary_color": "--identra-primary",
    "primary_text_color": "--identra-primary-text",
    "background_color": "--identra-bg",
    "surface_color": "--identra-surface",
    "text_color": "--identra-text",
    "muted_color": "--identra-muted",
    "border_color": "--identra-border",
}


class ThemeInvalid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Theme:
    display_name: str | None = None
    logo_url: str | None = None
    primary_color: str | None = None
    primary_text_color: str | None = None
    background_color: str | None = None
    surface_color: str | None = None
    text_color: str | None = None
    muted_color: str | None = None
    border_color: str | None = None
    radius_px: int | None = None
    font: str | None = None

    def variables(self) -> list[tuple[str, str]]:
        """The CSS custom properties this theme overrides, in a stable order."""
        out = [(var, str(getattr(self, name))) for name, var in COLOR_VARIABLES.items()]
        out = [(var, value) for var, value in out if value != "None"]
        if self.radius_px is not None:
            out.append(("--identra-radius", f"{self.radius_px}px"))
        if self.font is not None:
            out.append(("--identra-font", FONTS[self.font]))
        return out

    def logo_origin(self) -> str | None:
        """The origin an ``https`` logo loads from (for the page's ``img-src``)."""
        if self.logo_url is None or not self.logo_url.startswith("https://"):
            return None
        parts = urlsplit(self.logo_url)
        return f"https://{parts.netloc}"

    def to_config(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


def _logo(value: str) -> str:
    if len(value) > MAX_LOGO_URL:
        raise ThemeInvalid("logo_url", "is longer than 96 KiB")
    if value.startswith("data:"):
        if not DATA_LOGO.match(value):
            raise ThemeInvalid("logo_url", "a data: logo must be a base64 PNG, JPEG, GIF or WebP")
        return value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ThemeInvalid("logo_url", "must be an https URL without credentials, or a data: URL")
    if any(c in value for c in "\"'<>\\ \t\r\n()"):
        raise ThemeInvalid("logo_url", "contains characters a URL may not have")
    return value


def parse(config: Any) -> Theme:
    """A :class:`Theme` from a stored or submitted document; :class:`ThemeInvalid` otherwise."""
    if not isinstance(config, dict):
        raise ThemeInvalid("", "the theme must be an object")
    known = {f.name for f in fields(Theme)}
    for key in config:
        if key not in known:
            raise ThemeInvalid(str(key), "is not a theme field")
    values: dict[str, Any] = {}
    for name in COLOR_VARIABLES:
        value = config.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not COLOR.match(value):
            raise ThemeInvalid(name, "must be a color like #1f5fbf")
        values[name] = value.lower()
    display = config.get("display_name")
    if display is not None:
        if not isinstance(display, str) or not display.strip() or len(display) > MAX_NAME:
            raise ThemeInvalid("display_name", f"must be 1 to {MAX_NAME} characters")
        if any(ord(c) < 32 for c in display):
            raise ThemeInvalid("display_name", "may not contain control characters")
        values["display_name"] = display.strip()
    logo = config.get("logo_url")
    if logo is not None:
        if not isinstance(logo, str):
            raise ThemeInvalid("logo_url", "must be a string")
        values["logo_url"] = _logo(logo)
    radius = config.get("radius_px")
    if radius is not None:
        if not isinstance(radius, int) or isinstance(radius, bool) or not 0 <= radius <= 24:
            raise ThemeInvalid("radius_px", "must be a whole number of pixels from 0 to 24")
        values["radius_px"] = radius
    font = config.get("font")
    if font is not None:
        if font not in FONTS:
            raise ThemeInvalid("font", f"must be one of {', '.join(FONTS)}")
        values["font"] = font
    return Theme(**values)
