"""`new`: the page it writes builds as it is, sorts last, and never replaces a file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from site_src.content import parse_page
from site_src.errors import SiteError
from site_src.model import Source
from site_src.pipeline import build_site
from site_src.scaffold import DESCRIPTION_PLACEHOLDER, create_page, plan_page, slugify

from .conftest import config_for

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Panel: AI infrastructure", "panel-ai-infrastructure"),
        ("  Qwen3 -- what's new?  ", "qwen3-whats-new"),
        ("Café déjà vu", "café-déjà-vu"),
        ("Cafe\u0301", "café"),
        ("阿里云", "阿里云"),
        ("云栖大会 2025: Keynote", "云栖大会-2025-keynote"),
        ("«!?»", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_new_page_builds_and_comes_after_the_last(sample: Path) -> None:
    config = config_for(sample)
    page = plan_page(config, 'Panel: AI "infrastructure" #1')
    assert page.path == sample / "content" / "panel-ai-infrastructure-1.md"
    assert create_page(page, sample) == "content/panel-ai-infrastructure-1.md"
    parsed, warnings = parse_page(Source("content/x.md", page.path.read_text()), "content")
    assert parsed.title == 'Panel: AI "infrastructure" #1'
    assert [w.message for w in warnings] == [  # until the writer replaces the description
        "the description is still the placeholder that 'new' wrote"
    ]
    assert parsed.meta.description and parsed.meta.order == 5  # the sample's last order is 4
    result = build_site(config_for(sample, output_dir=str(sample / "out")))
    assert result.pages == 5
    built = (sample / "out" / "panel-ai-infrastructure-1" / "index.html").read_text()
    assert "Panel: AI &#34;infrastructure&#34; #1" in built or "Panel: AI &quot;" in built


def test_new_refuses_to_overwrite(sample: Path) -> None:
    config = config_for(sample)
    existing = sample / "content" / "features.md"
    before = existing.read_text()
    with pytest.raises(SiteError, match=r"content/features\.md already exists"):
        create_page(plan_page(config, "Features"), sample)
    assert existing.read_text() == before


def test_new_needs_a_title_that_makes_a_name(sample: Path) -> None:
    config = config_for(sample)
    with pytest.raises(SiteError, match="needs a title"):
        plan_page(config, "   ")
    with pytest.raises(SiteError, match="cannot make a file name") as caught:
        plan_page(config, "?!")
    assert "--name" in (caught.value.hint or "")
    assert plan_page(config, "?!", name="aliyun").path.name == "aliyun.md"


def test_a_title_in_any_script_makes_a_page_that_builds(sample: Path) -> None:
    config = config_for(sample)
    created = create_page(plan_page(config, "云栖大会"), sample)
    assert created == "content/云栖大会.md"
    result = build_site(config_for(sample, output_dir=str(sample / "out")))
    assert (sample / "out" / "云栖大会" / "index.html").is_file()
    assert result.pages == 5


def test_name_with_folders_creates_them(sample: Path) -> None:
    config = config_for(sample)
    page = plan_page(config, "Deploying", name="guide/Deploy/first-steps.md")
    assert create_page(page, sample) == "content/guide/deploy/first-steps.md"
    assert (sample / "content/guide/deploy/first-steps.md").is_file()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../outside", "may not contain '.' or '..'"),
        ("guide/../../x", "may not contain '.' or '..'"),
        ("/etc/passwd", "is an absolute path"),
        ("C:\\pages\\x", "is an absolute path"),
        ("guide/?!", "cannot make a file name"),
    ],
)
def test_name_must_stay_inside_the_content_folder(sample: Path, name: str, message: str) -> None:
    with pytest.raises(SiteError, match=re.escape(message)):
        plan_page(config_for(sample), "Title", name=name)
    assert not (sample / "outside.md").exists()


def test_name_of_an_existing_file_is_refused(sample: Path) -> None:
    before = (sample / "content/guide/setup.md").read_text()
    with pytest.raises(SiteError, match=r"content/guide/setup\.md already exists"):
        create_page(plan_page(config_for(sample), "Setup", name="guide/setup"), sample)
    assert (sample / "content/guide/setup.md").read_text() == before


def test_a_description_left_as_the_placeholder_is_a_warning(sample: Path) -> None:
    create_page(plan_page(config_for(sample), "Later"), sample)
    result = build_site(config_for(sample, output_dir=str(sample / "out")))
    assert [str(w) for w in result.warnings] == [
        "content/later.md:3:1: warning: the description is still the placeholder that 'new' wrote"
    ]
    edited = (sample / "content/later.md").read_text().replace(DESCRIPTION_PLACEHOLDER, "Soon.")
    (sample / "content/later.md").write_text(edited)
    assert build_site(config_for(sample, output_dir=str(sample / "out"))).warnings == ()


def test_new_from_the_command_line(sample: Path) -> None:
    command = [sys.executable, str(REPO / "build.py"), "new", "Panel: AI infrastructure"]
    done = subprocess.run(command, cwd=sample, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "content/panel-ai-infrastructure.md" in done.stdout
    assert (sample / "content" / "panel-ai-infrastructure.md").is_file()
    again = subprocess.run(command, cwd=sample, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr
