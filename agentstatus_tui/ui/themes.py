"""Loading the dashboard's themes (`themes/*.tcss`) into Textual themes, and choosing one.

A theme file is data: `$name: value;` lines. Names Textual's `Theme` knows (primary,
background, dark, …) become its fields; every other name (verdict colours and text
styles) becomes a CSS variable the app's stylesheet uses.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from textual.theme import Theme

DEFAULT_THEME = "dark"
NO_COLOR_THEME = "monochrome"
# The cycle order of `t`; any extra theme files follow alphabetically.
PREFERRED_ORDER = ("dark", "light", "high-contrast", "monochrome")

# Every theme gets these, so a theme file that leaves one out still parses the app CSS.
# Colours default to the theme's own (literal values: theme variables are not resolved
# against each other).
STYLE_DEFAULTS = {
    "verdict-up-style": "none",
    "verdict-degraded-style": "bold",
    "verdict-down-style": "bold",
    "verdict-unknown-style": "none",
}
_COLOUR_DEFAULTS = {
    "verdict-up": ("success", "green"),
    "verdict-degraded": ("warning", "yellow"),
    "verdict-down": ("error", "red"),
    "verdict-unknown": ("secondary", "grey"),
    "muted": ("secondary", "grey"),
}

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_DECLARATION = re.compile(r"\$([A-Za-z0-9_-]+)\s*:\s*([^;]+);")


class ThemeError(ValueError):
    pass


def _theme_dir() -> Traversable:
    """The installed `agentstatus_tui.themes` package, or `themes/` of a source checkout
    (an editable install made before the mapping existed has no such package)."""
    try:
        return resources.files("agentstatus_tui.themes")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "themes"


def theme_files() -> dict[str, Traversable]:
    found = {
        f.name.removesuffix(".tcss"): f
        for f in _theme_dir().iterdir()
        if f.name.endswith(".tcss") and f.is_file()
    }
    ordered = [n for n in PREFERRED_ORDER if n in found]
    ordered += sorted(n for n in found if n not in PREFERRED_ORDER)
    return {n: found[n] for n in ordered}


def parse_theme(name: str, text: str) -> Theme:
    fields: dict[str, str] = {}
    for key, value in _DECLARATION.findall(_COMMENT.sub("", text)):
        fields[key] = value.strip()
    if "primary" not in fields:
        raise ThemeError(f"theme {name!r}: $primary is required")
    defaults = {
        var: fields.get(source, fallback) for var, (source, fallback) in _COLOUR_DEFAULTS.items()
    }
    kwargs: dict[str, object] = {k: fields.pop(k) for k in _COLOUR_FIELDS if k in fields}
    if "dark" in fields:
        kwargs["dark"] = fields.pop("dark").lower() != "false"
    if "ansi" in fields:
        kwargs["ansi"] = fields.pop("ansi").lower() == "true"
    variables = {**STYLE_DEFAULTS, **defaults, **fields}
    return Theme(name=name, variables=variables, **kwargs)  # type: ignore[arg-type]


def with_product_variables(variables: dict[str, str]) -> dict[str, str]:
    """`variables` (a theme's resolved CSS variables) with every variable the dashboard's
    stylesheet uses, taken from the theme's own colours when the theme does not set it:
    Textual's built-in themes (offered by the command palette) know nothing of verdicts."""
    filled = {**STYLE_DEFAULTS, **variables}
    for var, (source, fallback) in _COLOUR_DEFAULTS.items():
        if var not in variables:
            filled[var] = variables.get(source, fallback)
    return filled


def load_themes() -> list[Theme]:
    """Every theme file, in cycle order."""
    return [parse_theme(n, f.read_text(encoding="utf-8")) for n, f in theme_files().items()]


def theme_names() -> list[str]:
    return list(theme_files())


def choose_theme(
    cli_theme: str | None, config_theme: str | None, no_color: bool, available: list[str]
) -> str:
    """--theme wins (an explicit request for this run), then NO_COLOR, then the config's
    `theme:`, then the default. Unknown names fall through to the next choice."""
    if cli_theme in available:
        return cli_theme  # type: ignore[return-value]
    if no_color:
        return NO_COLOR_THEME
    if config_theme in available:
        return config_theme  # type: ignore[return-value]
    return DEFAULT_THEME


def next_theme(current: str, available: list[str]) -> str:
    if current not in available:
        return available[0]
    return available[(available.index(current) + 1) % len(available)]
