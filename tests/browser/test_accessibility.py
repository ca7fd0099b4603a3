"""Every page is accessible (axe-core, WCAG 2.2 AA) in light and dark mode, and fits a phone.

Run in real headless Chromium against the site served like GitHub Pages, because contrast, focus
order and overflow depend on the computed styles of the final CSS, which no HTML-only check sees.
The pages come from the build's output folder, so a new page is checked without editing this file;
the 404 page is checked where readers meet it, at a missing URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response

from tests.browser.conftest import ServedSite
from tests.support.site_build import page_paths

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
MISSING_PATH = "no-such-page/deeper/"  # nested, so relative asset URLs on the 404 page would break
PHONE_WIDTH = 360
TIMEOUT_MS = 30_000

# A page with violations axe must report: proves the harness can fail.
CANARY = """<!doctype html><html><head><title>canary</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#777;background:#888">low contrast</p><a href="#x"></a></body></html>"""


@dataclass(frozen=True)
class Target:
    """A URL to check and the status it must answer with."""

    name: str
    url: str
    status: int


def targets(site: ServedSite) -> list[Target]:
    """Every page of the output folder, plus the 404 page at a missing URL."""
    pages = [Target(path or "/", site.base_url + path, 200) for path in page_paths(site.site_dir)]
    return [*pages, Target("404.html", site.base_url + MISSING_PATH, 404)]


@pytest.fixture
def context_for(chromium: Browser) -> Iterator[Any]:
    """A factory of browser contexts, all closed at the end of the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        # bypass_csp: axe is injected as a script, which a strict Content-Security-Policy forbids.
        context = chromium.new_context(bypass_csp=True, reduced_motion="reduce", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def open_page(context: BrowserContext, target: Target) -> Page:
    """Load a target, check its status, and wait until its fonts are ready."""
    page = context.new_page()
    response = page.goto(target.url, wait_until="load")
    assert response is not None, f"{target.name}: no response"
    assert response.status == target.status, f"{target.name}: HTTP {response.status}"
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


def run_axe(page: Page, axe_source: str) -> dict[str, Any]:
    page.add_script_tag(content=axe_source)
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return result


def describe_violations(name: str, scheme: str, violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation and node: page, scheme, rule id, impact, target selectors, summary."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(
                f"{name} [{scheme}] {violation['id']} ({violation.get('impact')}): "
                f"{node['target']} - {violation['help']}. {summary}"
            )
    return lines


def test_the_site_has_pages_to_check(served_site: ServedSite) -> None:
    names = [t.name for t in targets(served_site)]
    assert "/" in names and "404.html" in names and len(names) >= 3, names


def test_axe_reports_violations_on_a_bad_page(context_for: Any, axe_source: str) -> None:
    page = context_for().new_page()
    page.set_content(CANARY)
    rules = {v["id"] for v in run_axe(page, axe_source)["violations"]}
    assert {"image-alt", "color-contrast", "link-name"} <= rules, rules


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_any_page(
    served_site: ServedSite, context_for: Any, axe_source: str, scheme: str
) -> None:
    context = context_for(color_scheme=scheme, viewport={"width": 1280, "height": 800})
    failures: list[str] = []
    for target in targets(served_site):
        page = open_page(context, target)
        dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (scheme == "dark"), f"{target.name}: color scheme not emulated"
        result = run_axe(page, axe_source)
        assert result["passes"], f"{target.name}: axe ran no rule"
        failures += describe_violations(target.name, scheme, result["violations"])
        page.close()
    assert not failures, f"{len(failures)} accessibility violation(s):\n" + "\n".join(failures)


OVERFLOW_SCRIPT = """width => {
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && getComputedStyle(el).position !== 'fixed') {
      const id = el.id ? '#' + el.id : '';
      const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
      wide.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(box.right)}px)`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
}"""


def test_no_horizontal_scrolling_at_360px_on_any_page(
    served_site: ServedSite, context_for: Any
) -> None:
    context = context_for(viewport={"width": PHONE_WIDTH, "height": 740}, is_mobile=True)
    failures = []
    for target in targets(served_site):
        page = open_page(context, target)
        measured = page.evaluate(OVERFLOW_SCRIPT, PHONE_WIDTH)
        if measured["scrollWidth"] > PHONE_WIDTH:
            failures.append(
                f"{target.name}: scrollWidth {measured['scrollWidth']}px > {PHONE_WIDTH}px; "
                f"widest: {', '.join(measured['wide'])}"
            )
        page.close()
    assert not failures, "pages that scroll sideways on a phone:\n" + "\n".join(failures)


STYLESHEETS_SCRIPT = """() => [...document.querySelectorAll('link[rel~="stylesheet"]')].map(link => {
  let rules = -1;
  try { rules = link.sheet ? link.sheet.cssRules.length : -1; } catch (e) { rules = -2; }
  return {href: link.href, rules};
})"""
BODY_STYLE_SCRIPT = """() => {
  const s = getComputedStyle(document.body);
  return [s.fontFamily, s.margin, s.backgroundColor, s.color, s.maxWidth].join(' | ');
}"""


def test_the_404_page_is_served_with_404_and_renders_styled(
    served_site: ServedSite, context_for: Any
) -> None:
    context = context_for(viewport={"width": 1280, "height": 800})
    stylesheet_statuses: dict[str, int] = {}

    def note(response: Response) -> None:
        if response.request.resource_type == "stylesheet":
            stylesheet_statuses[response.url] = response.status

    context.on("response", note)
    page = open_page(context, Target("404.html", served_site.base_url + MISSING_PATH, 404))
    sheets = page.evaluate(STYLESHEETS_SCRIPT)
    assert sheets, "the 404 page links no stylesheet"
    assert stylesheet_statuses, "the 404 page requested no stylesheet"
    assert set(stylesheet_statuses.values()) == {200}, stylesheet_statuses
    for sheet in sheets:
        assert sheet["rules"] > 0, (
            f"stylesheet {sheet['href']} did not load (rules={sheet['rules']})"
        )
    styled = page.evaluate(BODY_STYLE_SCRIPT)
    bare = context.new_page()
    bare.set_content("<!doctype html><body>x</body>")
    assert styled != bare.evaluate(BODY_STYLE_SCRIPT), "the 404 page's body has browser defaults"


def test_every_page_loads_without_errors_or_failed_requests(
    served_site: ServedSite, context_for: Any
) -> None:
    context = context_for(viewport={"width": 1280, "height": 800})
    problems: list[str] = []
    for target in targets(served_site):
        page = context.new_page()
        page.on("console", lambda m, t=target: _console(problems, t, m.type, m.text))
        page.on("pageerror", lambda e, t=target: problems.append(f"{t.name}: script error {e}"))
        page.on("requestfailed", lambda r, t=target: problems.append(f"{t.name}: failed {r.url}"))
        page.on("response", lambda r, t=target: _response(problems, t, r.url, r.status))
        response = page.goto(target.url, wait_until="load")
        assert response is not None and response.status == target.status, target.name
        page.close()
    assert not problems, "\n".join(problems)


def _console(problems: list[str], target: Target, kind: str, text: str) -> None:
    if kind == "error" and not (target.status == 404 and "404" in text):
        problems.append(f"{target.name}: console error: {text}")


def _response(problems: list[str], target: Target, url: str, status: int) -> None:
    if status >= 400 and url != target.url:
        problems.append(f"{target.name}: HTTP {status} for {url}")
