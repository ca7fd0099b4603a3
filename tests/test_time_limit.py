"""A template that never ends stops the build with an error at its line, in bounded time.

Each build runs in a subprocess with a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from site_src.errors import BuildFailed
from site_src.pipeline import build_site
from site_src.render import deadline

from .conftest import MakeProject, config_for, run_cli

RUNAWAY = {
    "nested loops": """\
        {% extends "base.html" %}
        {% block main %}{{ page.content }}
        {% for i in range(100000) %}{% for j in range(100000) %}{{ i * j }}{% endfor %}{% endfor %}
        {% endblock %}
        """,
    "recursive macro": """\
        {% extends "base.html" %}
        {% macro grow(n) %}{% if n < 40 %}{{ grow(n + 1) }}{{ grow(n + 1) }}{% endif %}{% endmacro %}
        {% block main %}{{ page.content }}
        {{ grow(0) }}{% endblock %}
        """,
}

BUILD = """
import sys, threading
from pathlib import Path
from site_src.config import load_config
from site_src.errors import BuildFailed, format_text
from site_src.pipeline import build_site

def build():
    config = load_config(Path(sys.argv[1]), environ={})
    try:
        build_site(config, processes=int(sys.argv[2]), time_limit=1.0)
    except BuildFailed as failed:
        print(format_text(failed.errors))

if sys.argv[3] == "thread":  # as the dev server builds: not on the main thread
    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
else:
    build()
"""


def run_build(root: Path, processes: int, where: str) -> subprocess.CompletedProcess[str]:
    """BUILD in a process of its own, so a limit that fails to stop the build hangs nothing."""
    return subprocess.run(
        [sys.executable, "-c", BUILD, str(root), str(processes), where],
        capture_output=True,
        text=True,
        timeout=90,
    )


def runaway_project(make_project: MakeProject, template: str, pages: int) -> Path:
    files = {f"content/p{n:03}.md": f"---\ntitle: P{n}\n---\nText.\n" for n in range(pages)}
    return make_project(
        {**files, "content/index.md": "---\ntitle: H\n---\n", "templates/page.html": template}
    )


@pytest.mark.parametrize(
    ("processes", "where"),
    [(1, "main"), (2, "main"), (1, "thread")],
    ids=["one", "workers", "thread"],
)
@pytest.mark.parametrize("kind", sorted(RUNAWAY))
def test_a_template_that_never_ends_is_stopped_at_its_line(
    make_project: MakeProject, kind: str, processes: int, where: str
) -> None:
    root = runaway_project(make_project, RUNAWAY[kind], 60)
    started = time.monotonic()
    result = run_build(root, processes, where)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 45
    first = result.stdout.splitlines()[0]
    line = 3 if kind == "nested loops" else 2
    assert first == (
        f"templates/page.html:{line}: error: the template was still rendering this page after 1 s"
    )
    assert "rendering stopped at this line" in result.stdout
    assert "Traceback" not in result.stderr
    assert not (root / "_site").exists()


@pytest.mark.parametrize(("processes", "where"), [(2, "main"), (1, "thread")])
def test_markdown_that_never_ends_stops_the_build_at_its_line(
    make_project: MakeProject, processes: int, where: str
) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    files = {f"content/p{n:03}.md": f"---\ntitle: P{n}\n---\nText.\n\n{loop}\n" for n in range(60)}
    root = make_project({**files, "content/index.md": "---\ntitle: H\n---\n"})
    started = time.monotonic()
    result = run_build(root, processes, where)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30  # stopped at the first page, not one second each
    first = result.stdout.splitlines()[0]
    assert first.endswith(":6:1: error: the page's Markdown was still being evaluated after 1 s")
    assert first.startswith("content/p0")
    assert "Traceback" not in result.stderr


def test_a_range_too_long_to_loop_over_is_an_error_at_once(make_project: MakeProject) -> None:
    template = """\
        {% extends "base.html" %}
        {% block main %}{% for i in range(10**10) %}{{ i }}{% endfor %}{% endblock %}
        """
    root = make_project(
        {"content/index.md": "---\ntitle: H\n---\n", "templates/page.html": template}
    )
    started = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root), time_limit=60)
    assert time.monotonic() - started < 30
    assert [str(e) for e in caught.value.errors] == [
        "templates/page.html:2: error: template error: range() of 10,000,000,000 numbers is more "
        "than a template may loop over (100,000)"
    ]


def test_a_page_that_renders_in_time_is_unaffected_and_the_timer_is_cheap(
    make_project: MakeProject,
) -> None:
    root = make_project({"content/index.md": "---\ntitle: H\n---\nHello.\n"})
    build_site(config_for(root), time_limit=1.0)
    time.sleep(1.5)  # a timer left running would now interrupt this test
    assert "Hello." in (root / "_site" / "index.html").read_text()
    started = time.perf_counter()
    for _ in range(1000):
        with deadline(5.0):
            pass
    assert (time.perf_counter() - started) / 1000 < 0.001


def test_the_command_line_build_has_a_time_limit(make_project: MakeProject) -> None:
    """The default limit applies to `build.py` too (without one, this would run for hours)."""
    template = textwrap.dedent(RUNAWAY["nested loops"])
    root = runaway_project(make_project, template, 1)

    result = run_cli(root)
    assert result.returncode == 1
    assert (
        "templates/page.html:3: error: the template was still rendering this page after 10 s"
        in (result.stderr)
    )
    assert "Traceback" not in result.stderr
