"""The config file: types, did-you-mean, base URLs, and output folders that must never be replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_src.config import load_config
from site_src.errors import BuildFailed, SiteError
from site_src.pipeline import build_site

from .conftest import MakeProject, config_for


def problems(root: Path, **overrides: object) -> list[str]:
    """Every problem load_config finds, as its first line of text."""
    try:
        config_for(root, **overrides)
    except BuildFailed as failed:
        return [str(e) for e in failed.errors]
    except SiteError as error:
        return [str(error)]
    return []


def project(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "project"
    for folder in ("content", "templates", "static", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text(config, encoding="utf-8")
    return root


def test_defaults_need_no_config_file(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    config = config_for(root)
    assert config.output_dir == root.resolve() / "_site" and config.base_url == "/"


def test_a_config_file_with_bom_crlf_and_comments_reads_fine(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "site.yml").write_bytes(b"\xef\xbb\xbf# comment\r\ntitle: T\r\nraw_html: false\r\n")
    config = config_for(root)
    assert (config.title, config.raw_html) == ("T", False)


def test_an_empty_config_file_means_defaults(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    assert problems(root) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "title: [a]\n",
            ["site.yml:1:1: error: config key 'title' must be a string, not list ['a']"],
        ),
        (
            "raw_html: 'no'\n",
            ["site.yml:1:1: error: config key 'raw_html' must be a true/false, not str 'no'"],
        ),
        ("extra: 3\n", ["site.yml:1:1: error: config key 'extra' must be a mapping, not int 3"]),
        (
            "titel: T\nnav_items: []\n",
            [
                "site.yml:1:1: error: unknown config key 'titel'",
                "site.yml:2:1: error: unknown config key 'nav_items'",
            ],
        ),
        (
            "- a\n- b\n",
            ["site.yml:1:1: error: the config file must be a mapping of keys to values"],
        ),
        (
            "title: T\ntitle: U\n",
            ["site.yml:2:1: error: the config file has the key 'title' twice"],
        ),
        (
            "title: 'unclosed\n",
            [
                "site.yml:2:1: error: the config file is not valid YAML: found unexpected end of stream (while scanning a quoted scalar)"
            ],
        ),
        (
            "title: \x07\n",
            [
                "site.yml:1:8: error: the config file contains a character YAML does not allow (U+0007)"
            ],
        ),
        (
            "cname: 'a b/c'\n",
            [
                "site.yml:1:1: error: config key 'cname' must be a domain name such as example.com, not 'a b/c'"
            ],
        ),
        (
            "calendar: ../x\n",
            ["site.yml:1:1: error: config key 'calendar' must be a data file name, not '../x'"],
        ),
        (
            "nav:\n  - {title: A, page: 3}\n",
            [
                "site.yml:2:1: error: nav entry 1 must have a title and exactly one of 'page' or 'url' (both text)"
            ],
        ),
        (
            "nav:\n  - {title: A, page: a.md, url: /a/}\n",
            [
                "site.yml:2:1: error: nav entry 1 must have a title and exactly one of 'page' or 'url' (both text)"
            ],
        ),
    ],
)
def test_config_mistakes_name_the_line(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems(project(tmp_path, text)) == expected


def test_unknown_keys_suggest_the_nearest_known_key(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed) as caught:
        config_for(project(tmp_path, "title: T\nraw_htm: false\n"))
    assert [e.hint for e in caught.value.errors] == ["did you mean 'raw_html'?"]


@pytest.mark.parametrize(
    "value",
    [
        "example.com",
        "//example.com/x/",
        "ftp://example.com/",
        "javascript:alert(1)",
        "https:///path/",
        "https://example.com/a/../b/",
        "https://example.com/?q=1",
        "https://example.com/#top",
        "https://example.com:port/",
        "https://user:secret@example.com/",
        "https://token@example.com/",
        "https://" + "ü" * 70 + ".example/",
        "/a\\b/",
        "/a\nb/",
        'https://example.com/"onload="x',
    ],
)
def test_bad_base_urls_are_refused(tmp_path: Path, value: str) -> None:
    root = project(tmp_path, "title: T\n")
    (root / "site.yml").write_text(f"title: T\nbase_url: {value!r}\n".replace("\\n", "\\\\n"))
    found = problems(root)
    assert len(found) == 1 and found[0].startswith("site.yml:2:1: error: base_url ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/", "/"),
        ("/repo", "/repo/"),
        ("https://user.github.io/repo", "https://user.github.io/repo/"),
        ("http://localhost:8000/", "http://localhost:8000/"),
        ("/a b/", "/a%20b/"),
        ("https://e.org/my%20site/", "https://e.org/my%20site/"),
        ("https://e.org/my site", "https://e.org/my%20site/"),
        ("https://e.org/café/", "https://e.org/caf%C3%A9/"),
        ("https://bücher.example/x/", "https://xn--bcher-kva.example/x/"),
        ("https://bücher.example:8080/", "https://xn--bcher-kva.example:8080/"),
    ],
)
def test_good_base_urls_get_a_trailing_slash(tmp_path: Path, value: str, expected: str) -> None:
    assert config_for(project(tmp_path, f"base_url: {value}\n")).base_url == expected


def test_a_base_url_with_a_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\nbase_url: https://me:hunter2@example.org/\n")
    assert problems(root) == [
        "site.yml:2:1: error: base_url 'https://***@example.org/' contains a user name "
        "or password, which would be published with it"
    ]
    assert problems(root, base_url="https://me:hunter2@example.org/") == [
        "--base-url: error: base_url 'https://***@example.org/' contains a user name "
        "or password, which would be published with it"
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "uses the 'javascript:' scheme"),
        (" JavaScript:alert(1)", "uses the 'javascript:' scheme"),
        ("data:text/html,<b>x</b>", "uses the 'data:' scheme"),
        ("https://u:p@example.org/", "contains a user name or password"),
        ("/a\tb/", "contains a control character"),
    ],
)
def test_nav_urls_that_could_run_script_or_leak_a_password_are_refused(
    tmp_path: Path, url: str, reason: str
) -> None:
    text = f"title: T\nnav:\n  - {{title: Home, url: /}}\n  - {{title: X, url: {url!r}}}\n"
    found = problems(project(tmp_path, text.replace("\\t", "\t")))
    assert len(found) == 1 and found[0].startswith("site.yml:4:1: error: nav entry 2 has a url")
    assert reason in found[0]


def test_nav_urls_are_percent_encoded_once(tmp_path: Path) -> None:
    nav = "[{title: A, url: /a b/}, {title: B, url: /my%20site/}, {title: C, url: https://bücher.example/é}]"
    config = config_for(project(tmp_path, f"nav: {nav}\n"))
    assert [entry.url for entry in config.nav] == [
        "/a%20b/",
        "/my%20site/",
        "https://xn--bcher-kva.example/%C3%A9",
    ]


def test_a_bad_base_url_from_the_command_line_or_environment_says_so(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\n")
    assert problems(root, base_url="nope") == [
        "--base-url: error: base_url 'nope' is not a URL or an absolute path"
    ]
    with pytest.raises(BuildFailed) as caught:
        load_config(root, environ={"SITE_BASE_URL": "ftp://x/"})
    (error,) = caught.value.errors
    assert str(error).startswith("the SITE_BASE_URL environment variable: error:")


def test_all_config_problems_are_reported_together(tmp_path: Path) -> None:
    text = "base_url: nope\nnav: [3]\ncalendar: a/b\noutput_dir: content\n"
    assert [p.split(": error: ")[0] for p in problems(project(tmp_path, text))] == [
        "site.yml:1:1",
        "site.yml:2:1",
        "site.yml:3:1",
    ]


# Folders that a build must never replace. The build replaces its output folder wholesale, so each
# of these would destroy something: the file system, the user's home, the project, its sources.
HOSTILE_OUTPUTS = [
    "/",
    "..",
    "../..",
    ".",
    "",
    "./",
    "~",
    "~/site",
    "content",
    "content/out",
    "templates",
    "static/..",
    "data",
    ".git",
    ".git/site",
    "_site/../content",
]


@pytest.mark.parametrize("value", HOSTILE_OUTPUTS)
@pytest.mark.parametrize("key", ["output_dir", "cache_dir"])
def test_hostile_output_and_cache_folders_are_refused(tmp_path: Path, key: str, value: str) -> None:
    root = project(tmp_path, f"{key}: {value!r}\n")
    (root / "content" / "index.md").write_text("---\ntitle: Home\n---\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    found = problems(root)
    assert len(found) == 1, found
    assert found[0].startswith(f"site.yml:1:1: error: {key} ")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_the_home_folder_and_its_parents_are_refused(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\n")
    for folder in (Path.home(), Path.home().parent):
        found = problems(root, output_dir=str(folder))
        assert len(found) == 1 and found[0].startswith("--output: error: output_dir"), found


def test_the_output_option_is_checked_like_the_config_value(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\n")
    assert problems(root, output_dir="content") == [
        "--output: error: output_dir 'content' overlaps content/, which the build reads"
    ]


def test_a_symlink_output_folder_pointing_at_a_source_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, "output_dir: public\n")
    (root / "public").symlink_to(root / "content", target_is_directory=True)
    assert problems(root) == [
        "site.yml:1:1: error: output_dir 'public' overlaps content/, which the build reads"
    ]


def test_a_symlink_output_folder_pointing_above_the_project_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\n")
    (root / "_site").symlink_to(tmp_path, target_is_directory=True)
    assert problems(root) == [
        "error: output_dir '_site' would replace the project folder itself or a folder above it"
    ]


def test_a_symlink_source_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = project(tmp_path, "content_dir: shared\n")
    (root / "shared").symlink_to(elsewhere, target_is_directory=True)
    assert problems(root) == [
        "site.yml:1:1: error: content_dir 'shared' is outside the project folder"
    ]


@pytest.mark.parametrize("value", ["/var/tmp", "/tmp/site-cache", "/etc/site-cache", "../cache"])
def test_a_cache_folder_outside_the_project_is_refused(tmp_path: Path, value: str) -> None:
    root = project(tmp_path, f"cache_dir: {value}\n")
    assert problems(root) == [
        f"site.yml:1:1: error: cache_dir {value!r} is outside the project folder"
    ]


def test_a_cache_folder_linked_to_a_shared_folder_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    root = project(tmp_path, "title: T\n")
    (root / ".site_cache").symlink_to(shared, target_is_directory=True)
    assert problems(root) == ["error: cache_dir '.site_cache' is outside the project folder"]
    (root / ".site_cache").unlink()
    assert problems(root) == []


def test_output_and_cache_may_not_overlap(tmp_path: Path) -> None:
    root = project(tmp_path, "output_dir: build\ncache_dir: build/cache\n")
    assert problems(root) == [
        "site.yml:1:1: error: output_dir 'build' and cache_dir 'build/cache' overlap: each "
        "build replaces the whole output folder"
    ]


def test_an_output_folder_beside_the_project_is_allowed(make_project: MakeProject) -> None:
    root = make_project(
        {"site.yml": "output_dir: ../www\n", "content/index.md": "---\ntitle: H\n---\n"}
    )
    build_site(config_for(root))
    assert (root.parent / "www" / "index.html").is_file()


def test_a_config_file_named_on_the_command_line_must_exist(tmp_path: Path) -> None:
    root = project(tmp_path, "title: T\n")
    with pytest.raises(SiteError) as caught:
        load_config(root, "prod.yml", environ={})
    assert str(caught.value) == "--config: error: there is no config file prod.yml"
