"""Broken links (to a page, file or #id that does not exist): they fail a build unless site.yml
says `broken_links: warn`, and never stop the dev server, which publishes the newest site and
lists them in the overlay and on the terminal."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from site_src.cache import BuildCache, engine_digest
from site_src.cli import print_serve_event
from site_src.errors import BROKEN_LINK, BuildFailed, SiteError
from site_src.pipeline import build_site

from .conftest import MakeProject, config_for, run_cli
from .serving import dev_server, project_config, wait_until
from .test_deploy import git, make_repo

LINKS = {
    "content/index.md": """\
        ---
        title: Home
        ---
        Read [the other page](other.md) and [its part](other.md#part).

        A [gone page](gone.md), a [gone path](/gone/) and [no id](other.md#nope).
        """,
    "content/other.md": """\
        ---
        title: Other
        ---
        ## Part
        """,
}
# Where each broken link of LINKS is written (file:line:column) and what it says.
BROKEN = {
    "content/index.md:6:15": "link to a page that does not exist: gone.md",
    "content/index.md:6:39": "broken link: /gone/ (no page or file at /gone/)",
    "content/index.md:6:59": "broken link: other.md#nope (no element with id 'nope' on /other/)",
}
# The two overlays of the dev server, as they open.
PANEL = "<div id='site-src-broken-links'"
ERRORS = "<div id='site-src-errors'"


def listed(problems: Iterable[SiteError]) -> dict[str, str]:
    """The broken links among `problems`, by place."""
    return {str(p.where): p.message for p in problems if p.code == BROKEN_LINK}


# ---------------------------------------------------------------- the setting


@pytest.mark.parametrize(
    ("written", "severity"), [(None, "error"), ("error", "error"), ("warn", "warning")]
)
def test_broken_links_setting_is_read_from_site_yml(
    make_project: MakeProject, written: str | None, severity: str
) -> None:
    line = f"broken_links: {written}\n" if written else ""
    root = make_project({"site.yml": "title: T\n" + line, **LINKS})
    assert config_for(root).broken_links == severity


@pytest.mark.parametrize(("written", "guess"), [("warning", "warn"), ("eror", "error")])
def test_a_wrong_broken_links_value_is_an_error_with_a_guess(
    make_project: MakeProject, written: str, guess: str
) -> None:
    root = make_project({"site.yml": f"title: T\nbroken_links: {written}\n", **LINKS})
    with pytest.raises(BuildFailed) as failed:
        config_for(root)
    [error] = failed.value.errors
    assert str(error.where) == "site.yml:2:1"
    assert f"must be error or warn, not '{written}'" in error.message
    assert error.hint is not None and f"did you mean '{guess}'?" in error.hint


# ---------------------------------------------------------------- build


def test_a_build_fails_on_broken_links_by_default(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "title: T\n", **LINKS})
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(root), processes=1)
    assert listed(failed.value.errors) == BROKEN
    assert len(failed.value.errors) == len(BROKEN)
    assert not (root / "_site").exists()


def test_with_warn_a_build_publishes_and_lists_them_as_warnings(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "title: T\nbroken_links: warn\n", **LINKS})
    result = build_site(config_for(root), processes=1)
    assert listed(result.warnings) == BROKEN
    assert {w.severity for w in result.warnings} == {"warning"}
    assert 'href="gone.md"' in (root / "_site" / "index.html").read_text()


def test_warn_lets_through_only_broken_links(make_project: MakeProject) -> None:
    page = '---\ntitle: Home\n---\n[gone](/gone/) <a href="foo:bar">odd</a>\n\n## A {#a}\n\n## B {#a}\n'
    root = make_project({"site.yml": "broken_links: warn\n", "content/index.md": page})
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(root), processes=1)
    by_severity = {(p.severity, p.message[:22]) for p in failed.value.errors}
    assert by_severity == {
        ("error", "unsupported link schem"),
        ("error", "the id 'a' is used twi"),
        ("warning", "broken link: /gone/ (n"),
    }


def test_strict_makes_them_errors_again(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "broken_links: warn\n", **LINKS})
    with pytest.raises(BuildFailed):
        build_site(config_for(root), processes=1, strict=True)


def test_cli_build_with_warn_exits_zero_and_prints_them(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "broken_links: warn\n", **LINKS})
    result = run_cli(root)
    assert result.returncode == 0, result.stderr
    for where, message in BROKEN.items():
        assert f"{where}: warning: {message}" in result.stderr
    (root / "site.yml").write_text("broken_links: error\n")
    assert run_cli(root).returncode == 1


@pytest.mark.parametrize("saved", [False, True])
def test_incremental_builds_keep_reporting_them_until_fixed(
    make_project: MakeProject, saved: bool
) -> None:
    """A page kept from the cache is not checked again, yet its broken links must still be
    listed, in memory (the dev server) and from the cache file (a plain build)."""
    root = make_project({"site.yml": "broken_links: warn\n", **LINKS})
    config = config_for(root)
    cache = None if saved else BuildCache(engine_digest())

    def build() -> dict[str, str]:
        return listed(build_site(config, processes=1, cache=cache).warnings)

    assert build() == BROKEN
    assert build() == BROKEN, "a build that makes nothing"
    (root / "content" / "third.md").write_text("---\ntitle: Third\n---\nText.\n")
    assert build() == BROKEN, "a build that renders another page and checks every link"
    (root / "content" / "third.md").write_text("---\ntitle: Third\n---\nMore text.\n")
    assert build() == BROKEN, "a build that renders one unrelated page"
    other = root / "content" / "other.md"
    other.write_text(other.read_text() + "\n## Nope\n")
    fixed = {where: m for where, m in BROKEN.items() if "nope" not in m}
    assert build() == fixed, "the id now exists: the kept page is checked again"
    assert build() == fixed


# ---------------------------------------------------------------- serve


def test_serve_publishes_a_site_with_broken_links_and_lists_them(
    make_project: MakeProject,
) -> None:
    root = make_project({"site.yml": "title: T\n", **LINKS})  # default: error for a build
    with dev_server(root) as running:
        state = running.server.state.current
        assert state.folder is not None and not state.errors
        html = running.page("")
        assert PANEL in html and ERRORS not in html
        assert "3 broken links" in html
        for where in BROKEN:
            assert where in html
        assert "Dismiss" in html and "role='dialog'" in html
        index = root / "content" / "index.md"
        text = index.read_text()
        index.write_text(text.replace("Read", "Now read"))
        wait_until(lambda: "Now read" in running.page(""))
        outcome = running.next_outcome()
        assert not outcome.errors and listed(outcome.broken_links) == BROKEN
        assert not listed(outcome.warnings), "listed once, as broken links"
        index.write_text(text.split("\nA [gone")[0] + "\n")
        wait_until(lambda: PANEL not in running.page(""))
        assert ERRORS not in running.page("other/")


def test_other_errors_still_show_over_the_last_site_that_built(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "title: T\n", **LINKS})
    with dev_server(root) as running:
        base = root / "templates" / "page.html"
        good = base.read_text()
        base.write_text(good.replace("{{ page.content }}", "{{ page.content }}{{ nothing.here }}"))
        wait_until(lambda: ERRORS in running.page(""))
        html = running.page("")
        assert "The site shown is the last one that built." in html
        assert "templates/page.html:2" in html
        assert PANEL not in html, "one overlay at a time"
        base.write_text(good)
        wait_until(lambda: ERRORS not in running.page(""))
        assert PANEL in running.page("")


def test_a_failed_first_build_says_there_is_no_site_yet(make_project: MakeProject) -> None:
    root = make_project({"site.yml": "title: T\n", **LINKS})
    base = root / "templates" / "page.html"
    good = base.read_text()
    base.write_text(good.replace("{{ page.content }}", "{% if %}"))
    with dev_server(root) as running:
        status, _headers, body = running.get("/")
        html = body.decode()
        assert status == 500
        assert "No site has been built yet" in html and "Build failed: no site yet" in html
        assert "last one that built" not in html
        base.write_text(good)
        wait_until(lambda: running.get("/")[0] == 200)
        assert PANEL in running.page("")


def test_the_terminal_lists_them_with_their_place(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project({"site.yml": "title: T\n", **LINKS})
    with dev_server(root) as running:
        (root / "content" / "other.md").write_text("---\ntitle: Other\n---\n## Part\n\nMore.\n")
        outcome = running.next_outcome()
    out = io.StringIO()
    print_serve_event(outcome, project_config(root), True, out)
    printed = capsys.readouterr().err
    for where, message in BROKEN.items():
        assert f"{where}: warning: {message}" in printed
    assert "Serving the new site with 3 broken links" in printed


def test_deploy_refuses_them_unless_site_yml_says_warn(sample: Path, tmp_path: Path) -> None:
    """`deploy` follows `broken_links` as `build` does: the Actions workflow publishes what
    `build` makes, so both ways of publishing agree."""
    remote = make_repo(sample, tmp_path)
    index = sample / "content" / "index.md"
    index.write_text(index.read_text() + "\nSee [the gone page](/gone/).\n")
    refused = run_cli(sample, "deploy", "--base-url", "https://u.github.io/sample/")
    assert refused.returncode == 1 and "broken link: /gone/" in refused.stderr
    config = sample / "site.yml"
    config.write_text(config.read_text() + "broken_links: warn\n")
    published = run_cli(sample, "deploy", "--base-url", "https://u.github.io/sample/")
    assert published.returncode == 0, published.stderr
    assert "warning: broken link: /gone/" in published.stderr
    assert "/gone/" in git(remote, "show", "gh-pages:index.html")
