"""Every HTML page of a fresh build is valid HTML, by the Nu Html Checker (the W3C validator).

Invalid markup is rendered by guesswork that differs between browsers and assistive technology, so
the checker runs on every page the build writes, in one JVM (its start-up dominates the time). A
known-bad canary document goes into the same run: if the checker ever stopped reporting, the canary
would fail the test instead of the site passing unchecked.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.support.requirements import VNU_JAR, require_java, require_npm_file
from tests.support.site_build import (
    PUBLISHED_BASE_URL,
    SHOWCASE,
    build_or_fail,
    html_files,
    project_with_showcase,
)

pytestmark = pytest.mark.java

# A <div> inside <span>, a duplicate id and an unknown attribute: three errors the checker must see.
CANARY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>canary</title></head>
<body><span><div id="x">a</div></span><p id="x" frobnicate="yes">b</p></body></html>
"""


@dataclass(frozen=True)
class Message:
    file: Path
    line: int
    text: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.text}"


def run_vnu(files: list[Path]) -> list[Message]:
    """Check all files in one ``java -jar vnu.jar`` run and parse its JSON report."""
    java = require_java()
    jar = require_npm_file(VNU_JAR)
    command = [java, "-jar", str(jar), "--format", "json", "--errors-only", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar gave no JSON (exit {result.returncode}):\n{result.stderr}")
    return [parse_message(m) for m in report.get("messages", [])]


def parse_message(message: dict[str, object]) -> Message:
    url = str(message.get("url", ""))
    line = message.get("lastLine", message.get("firstLine", 0))
    return Message(
        file=Path(unquote(urlsplit(url).path)) if url.startswith("file:") else Path(url),
        line=int(line) if isinstance(line, int) else 0,
        text=str(message.get("message", "")),
        kind=str(message.get("type", "")),
    )


def shown(file: Path, site_dir: Path) -> str:
    """A file as the report names it: relative to the site folder where it is inside it."""
    resolved = file.resolve()
    root = site_dir.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(file)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vnu")
    project = project_with_showcase(folder / "project")
    return build_or_fail(folder / "_site", PUBLISHED_BASE_URL, project)


def test_every_html_file_of_the_build_is_valid(
    site_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pages = html_files(site_dir)
    assert (site_dir / "index.html") in pages and (site_dir / "404.html") in pages
    assert (site_dir / SHOWCASE.stem / "index.html") in pages
    canary = tmp_path_factory.mktemp("canary") / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")

    messages = run_vnu([*pages, canary])

    canary_errors = [m for m in messages if m.file.resolve() == canary.resolve()]
    assert len(canary_errors) >= 3, f"the checker missed the canary's errors: {canary_errors}"
    site_errors = [m for m in messages if m.file.resolve() != canary.resolve()]
    report = "\n".join(f"{shown(m.file, site_dir)}:{m.line}: {m.text}" for m in site_errors)
    assert not site_errors, f"{len(site_errors)} HTML error(s):\n{report}"
