"""Writing the site: static assets with content hashes, and an all-or-nothing swap of the output folder.

A build writes into a fresh staging folder beside the output folder and swaps it in only when the
whole build succeeded, so a failed or interrupted build leaves the last good site untouched, and
files that no longer belong to the site disappear with the old folder.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
from pathlib import Path

from .errors import SiteError
from .model import Asset

HASH_LENGTH = 10
UNHASHED = {"favicon.ico", "robots.txt", "CNAME", ".nojekyll"}


def collect_assets(static_dir: Path) -> dict[str, Asset]:
    """Every file under the static folder, keyed by its path there, named with its content hash."""
    assets: dict[str, Asset] = {}
    if not static_dir.is_dir():
        return assets
    for path in sorted(static_dir.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(static_dir).parts):
            continue
        logical = path.relative_to(static_dir).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assets[logical] = Asset(logical, hashed_name(logical, digest), digest)
    return assets


def hashed_name(logical: str, digest: str) -> str:
    """css/site.css -> css/site.0123456789.css (files browsers ask for by name keep their name)."""
    if logical in UNHASHED:
        return logical
    stem, ext = posixpath.splitext(logical)
    return f"{stem}.{digest[:HASH_LENGTH]}{ext}"


def open_staging(out_dir: Path) -> Path:
    """Make an empty staging folder next to the output folder (same file system, so rename works)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))


def write_file(staging: Path, relative: str, content: bytes | str) -> None:
    """Write one output file; refuse any path that would leave the staging folder."""
    target = safe_target(staging, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def safe_target(folder: Path, relative: str) -> Path:
    """Resolve a relative output path inside `folder`, or raise if it would escape."""
    normal = posixpath.normpath(relative)
    bad = (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or normal.startswith(("/", ".."))
        or (len(normal) > 1 and normal[1] == ":")
        or any(ord(ch) < 32 for ch in relative)
    )
    if bad:
        raise SiteError(f"refusing to write outside the output folder: {relative!r}")
    return folder / normal


def copy_assets(staging: Path, static_dir: Path, assets: dict[str, Asset]) -> None:
    """Copy static files under their hashed names."""
    for asset in assets.values():
        target = safe_target(staging, asset.output)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(static_dir / asset.logical, target)


def commit(staging: Path, out_dir: Path) -> None:
    """Swap the staging folder in as the output folder, then delete the old one."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.rename(out_dir, old / "site")
    os.rename(staging, out_dir)
    if old is not None:
        shutil.rmtree(old)


def discard(staging: Path) -> None:
    """Throw away a staging folder after a failed build."""
    shutil.rmtree(staging, ignore_errors=True)
