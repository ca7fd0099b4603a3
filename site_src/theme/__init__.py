"""The built-in theme: templates and static files for whatever a project does not provide.

Lookup follows Hugo's order (or MkDocs' `custom_dir`): a template or static file in the project
wins, the theme fills the gaps, so a folder with only `content/` builds a finished site and a
project overrides one piece by creating a file of the same name. Every theme template is also
reachable as `theme/<name>`, so a project's `base.html` can extend `theme/base.html` and fill
its blocks instead of copying it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2

from ..model import Asset
from ..output import hashed_name

THEME_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = THEME_DIR / "templates"
STATIC_DIR = THEME_DIR / "static"
PREFIX = "theme"


def template_loader(project: jinja2.BaseLoader) -> jinja2.BaseLoader:
    """The project's templates first, then the theme's; `theme/...` always means the theme's."""
    theme = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
    return jinja2.ChoiceLoader([jinja2.PrefixLoader({PREFIX: theme}), project, theme])


def theme_files(folder: Path) -> dict[str, bytes]:
    """The theme's files under `folder`, by path there (the theme is ours: no hostile names)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def with_theme_assets(project: dict[str, Asset]) -> dict[str, Asset]:
    """The project's static files plus the theme's that the project does not replace."""
    merged = dict(project)
    for logical, raw in theme_files(STATIC_DIR).items():
        if logical not in merged:
            digest = hashlib.sha256(raw).hexdigest()
            merged[logical] = Asset(logical, hashed_name(logical, digest), digest)
    return merged


def asset_source(static_dir: Path, logical: str) -> Path:
    """Where a static file's bytes come from: the project's copy if it has one, else the theme's."""
    own = static_dir / logical
    return own if own.is_file() or not (STATIC_DIR / logical).is_file() else STATIC_DIR / logical
