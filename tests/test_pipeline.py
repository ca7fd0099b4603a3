"""Whole builds: what a build writes, what it refuses, and that a failed build loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_src.errors import BuildFailed
from site_src.pipeline import build_site

from .conftest import MakeProject, config_for


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_build_writes_pretty_urls_and_site_files(sample: Path) -> None:
    config = config_for(sample)
    result = build_site(config)
    assert result.pages == 4 and result.assets == 2
    out = config.output_dir
    assert {
        "index.html",
        "features/index.html",
        "guide/index.html",
        "guide/setup/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
        "meetup.ics",
    } <= files_of(out)
    assert not (out / "draft").exists()
    assert not (out / "CNAME").exists()


def test_drafts_are_built_when_asked_for(sample: Path) -> None:
    config = config_for(sample, drafts=True)
    assert build_site(config).pages == 5
    assert (config.output_dir / "draft" / "index.html").is_file()


def test_cname_is_written_when_configured(make_project: MakeProject) -> None:
    root = make_project(
        {"site.yml": "cname: yunqi.example.org\n", "content/index.md": "---\ntitle: A\n---\n"}
    )
    config = config_for(root)
    build_site(config)
    assert (config.output_dir / "CNAME").read_text() == "yunqi.example.org\n"


def test_files_that_no_longer_belong_are_removed(sample: Path) -> None:
    config = config_for(sample)
    build_site(config)
    (sample / "content" / "guide" / "setup.md").unlink()
    (sample / "content" / "guide" / "index.md").write_text("---\ntitle: Guide\n---\nShort now.\n")
    (sample / "content" / "index.md").write_text("---\ntitle: Home\n---\n")
    (config.output_dir / "stray.txt").write_text("left over")
    build_site(config)
    assert "guide/setup/index.html" not in files_of(config.output_dir)
    assert "stray.txt" not in files_of(config.output_dir)


def test_failed_build_keeps_the_previous_site_whole(sample: Path) -> None:
    config = config_for(sample)
    build_site(config)
    before = {name: (config.output_dir / name).read_bytes() for name in files_of(config.output_dir)}
    (sample / "content" / "features.md").write_text("---\ntitle: Features\n---\n[x](gone.md)\n")
    (sample / "content" / "new.md").write_text("---\ntitle: New\n---\n")
    with pytest.raises(BuildFailed):
        build_site(config)
    after = {name: (config.output_dir / name).read_bytes() for name in files_of(config.output_dir)}
    assert after == before
    leftovers = [p.name for p in config.output_dir.parent.iterdir() if p.name.startswith("._site")]
    assert leftovers == []


def test_all_errors_of_a_build_are_reported_together(make_project: MakeProject) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: A\n---\n[x](missing.md)\n",
            "content/b.md": "---\ntitle: [\n---\n",
            "content/c.md": "---\ntitle: C\nslug: b\n---\n",
            "content/d.md": "---\ntitle: D\nslug: b\n---\n",
        }
    )
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    where = sorted(str(e.where) for e in caught.value.errors)
    assert where == ["content/b.md:2:9", "content/d.md:3:1", "content/index.md:4:5"]


def test_nav_naming_a_missing_page_is_an_error(make_project: MakeProject) -> None:
    root = make_project(
        {
            "site.yml": "title: T\nnav:\n  - {title: Gone, page: gone.md}\n",
            "content/index.md": "---\ntitle: A\n---\n",
        }
    )
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    (error,) = caught.value.errors
    assert str(error.where) == "site.yml:3" and "gone.md" in error.message


def test_check_mode_writes_nothing(sample: Path) -> None:
    config = config_for(sample)
    result = build_site(config, write=False)
    assert result.pages == 4
    assert not config.output_dir.exists()


def test_the_real_site_builds_with_every_section(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    config = config_for(
        repo, output_dir=str(tmp_path / "site"), base_url="https://u.github.io/REPO/"
    )
    result = build_site(config)
    built = files_of(config.output_dir)
    for page in ("index.html", "keynote/index.html", "asi-stages/index.html", "event/index.html"):
        assert page in built
    assert result.pages >= 4
