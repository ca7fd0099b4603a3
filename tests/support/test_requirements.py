"""A missing system part skips locally and fails under CI, naming the install command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import requirements


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_part_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(requirements, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(outcome, match="apt-get install chromium"):
        requirements.require_chromium()


def test_missing_java_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match="apt-get install default-jre-headless"):
        requirements.require_java()


def test_missing_npm_file_names_npm_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm ci"):
        requirements.require_npm_file(requirements.NODE_MODULES / "no-such-package" / "x.js")
