"""Whole rendered pages of tests/sample-project compared file by file with tests/golden/sample/.

Regenerate after an intended change:  python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_src.pipeline import build_site

from .conftest import config_for

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample"


def all_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_sample_site_matches_golden_files(
    sample: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "out"
    build_site(config_for(sample, output_dir=str(out)))
    built = all_files(out)
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
        pytest.skip("golden files rewritten")
    expected = all_files(GOLDEN)
    assert sorted(built) == sorted(expected), "the set of output files changed"
    for name, content in expected.items():
        assert built[name].decode() == content.decode(), f"{name} differs from the golden copy"
