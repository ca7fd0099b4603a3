"""Code colours: the committed stylesheets are what the generator writes, and both styles read."""

from __future__ import annotations

import re

import pygments
import pytest
from pygments.styles import get_style_by_name
from pygments.token import Whitespace

from site_src.highlight_css import DARK_STYLE, LIGHT_STYLE, stylesheet
from site_src.theme import STATIC_DIR

from .conftest import REPO, SAMPLE


def locked_version(package: str) -> str:
    lock = (REPO / "requirements" / "test.lock").read_text(encoding="utf-8")
    found = re.search(rf"^{package}==(\S+)$", lock, re.M)
    assert found, f"{package} is not in the lock"
    return found.group(1)


def test_committed_stylesheet_is_the_generated_one() -> None:
    """Made with the locked Pygments: a newer release may change a style's colours, which is the
    user's choice to take, not a failure of their install."""
    if pygments.__version__ != locked_version("pygments"):
        pytest.skip(f"compared with the locked Pygments only (installed: {pygments.__version__})")
    assert (STATIC_DIR / "css" / "highlight.css").read_text(encoding="utf-8") == stylesheet()


def test_projects_without_their_own_take_the_themes_stylesheet() -> None:
    assert not (REPO / "static/css/highlight.css").exists()
    assert not (SAMPLE / "static/css/highlight.css").exists()


def test_dark_rules_apply_only_in_dark_mode() -> None:
    light, dark = stylesheet().split("@media (prefers-color-scheme: dark) {")
    assert "@media not all and (prefers-color-scheme: dark) {" in light
    assert "pre.highlight { background: #0d1117;" in dark and "#0d1117" not in light
    assert "pre.highlight .k {" in light and "pre.highlight .k {" in dark


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_knows_the_extremes() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") < 4.5


@pytest.mark.parametrize("name", [LIGHT_STYLE, DARK_STYLE])
def test_every_token_colour_reaches_4_5_to_1(name: str) -> None:
    style = get_style_by_name(name)
    weak = []
    for token, definition in style:
        if token in Whitespace or not definition["color"]:
            continue
        background = (
            "#" + definition["bgcolor"] if definition["bgcolor"] else style.background_color
        )
        ratio = contrast("#" + definition["color"], background)
        if ratio < 4.5:
            weak.append(f"{token}: {ratio:.2f}")
    assert not weak, weak
