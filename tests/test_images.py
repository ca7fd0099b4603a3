"""Images and files in Markdown: three ways to name a file, real sizes, variants cached by hash,
alt text, figures, files beside pages, and incremental builds that follow the image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from site_src.errors import BuildFailed, SiteError
from site_src.pipeline import BuildResult, build_site

from .conftest import MakeProject, config_for
from .support.crawl import Crawler
from .support.pages_server import PagesServer

PAGE = "---\ntitle: {title}\n---\n{body}\n"


def image(path: Path, width: int, height: int, kind: str = "PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (200, 40, 40)).save(path, format=kind)
    return path


def project(make_project: MakeProject, pages: dict[str, str], **config: str) -> Path:
    site = "title: T\nbase_url: https://example.org/R/\n" + "".join(
        f"{key}: {value}\n" for key, value in config.items()
    )
    files = {name: PAGE.format(title=name, body=body) for name, body in pages.items()}
    root = make_project({"site.yml": site, **files})
    image(root / "static/img/share.png", 300, 200)
    image(root / "static/img/big.jpg", 2400, 1200, "JPEG")
    image(root / "content/keynote/diagram.png", 120, 80)
    image(root / "content/guide/photo.png", 64, 64)
    (root / "content/guide/slides.pdf").write_bytes(b"%PDF-1.4\n")
    return root


def build(root: Path, **options: object) -> BuildResult:
    return build_site(config_for(root), processes=1, **options)  # type: ignore[arg-type]


def failures(root: Path) -> list[SiteError]:
    with pytest.raises(BuildFailed) as failed:
        build(root)
    return list(failed.value.errors)


def tags(root: Path, page: str, name: str) -> list[str]:
    return re.findall(rf"<{name}\b[^>]*>", (root / "_site" / page).read_text())


def test_three_ways_to_name_a_file_reach_the_published_file(make_project: MakeProject) -> None:
    root = project(
        make_project,
        {
            "content/index.md": "![Share](/img/share.png) ![Share](../static/img/share.png)\n\n"
            "![Diagram](keynote/diagram.png) [slides](guide/slides.pdf)",
            "content/keynote.md": "![Diagram](keynote/diagram.png) ![D](/R/keynote/diagram.png)"
            " ![As on /keynote/](diagram.png)",
            "content/guide/index.md": "![Photo](photo.png) [slides](slides.pdf)",
        },
    )
    build(root)
    srcs = [re.search(r'src="([^"]*)"', tag).group(1) for tag in tags(root, "index.html", "img")]  # type: ignore[union-attr]
    hashed = (
        "/R/"
        + next((root / "_site/img").glob("share.*.png")).relative_to(root / "_site").as_posix()
    )
    assert srcs == [hashed, hashed, "/R/keynote/diagram.png"]
    keynote = tags(root, "keynote/index.html", "img")
    assert len(keynote) == 3 and all('src="/R/keynote/diagram.png"' in tag for tag in keynote)
    guide = (root / "_site/guide/index.html").read_text()
    assert 'src="/R/guide/photo.png"' in guide and 'href="/R/guide/slides.pdf"' in guide
    assert 'href="/R/guide/slides.pdf"' in (root / "_site/index.html").read_text()
    assert (root / "_site/guide/slides.pdf").read_bytes() == b"%PDF-1.4\n"


def test_every_file_beside_the_pages_is_published_even_unreferenced(
    make_project: MakeProject,
) -> None:
    root = project(make_project, {"content/index.md": "Home"})
    (root / "content/guide/demo.html").write_text("<!doctype html><title>x</title>")
    build(root)
    assert (root / "_site/keynote/diagram.png").is_file()
    assert (root / "_site/guide/demo.html").is_file()


def test_a_missing_file_is_a_located_error_with_a_guess(make_project: MakeProject) -> None:
    body = "Text\n\n![Share](../static/img/shar.png) and [deck](guide/slide.pdf)"
    root = project(make_project, {"content/index.md": body})
    errors = failures(root)
    found = {(e.where.line, e.where.column): e for e in errors if e.where is not None}
    image_error, pdf_error = found[(6, 10)], found[(6, 45)]
    assert image_error.message == (
        "missing image: ../static/img/shar.png (there is no static/img/shar.png)"
    )
    assert (image_error.hint or "").startswith("Did you mean ../static/img/share.png?")
    assert pdf_error.message.startswith("missing file: guide/slide.pdf")
    assert (pdf_error.hint or "").startswith("Did you mean guide/slides.pdf?")
    assert len(errors) == 2  # the link checker does not report them again


def test_raster_images_get_their_size_and_lazy_loading_after_the_first(
    make_project: MakeProject,
) -> None:
    body = "![One](/img/share.png)\n\n![Two](keynote/diagram.png)"
    root = project(make_project, {"content/index.md": body})
    build(root)
    first, second = tags(root, "index.html", "img")
    assert 'width="300" height="200"' in first and 'decoding="async"' in first
    assert "loading=" not in first
    assert 'width="120" height="80"' in second and 'loading="lazy"' in second
    assert "srcset" not in first + second


def test_large_images_get_variants_made_once(make_project: MakeProject) -> None:
    root = project(make_project, {"content/index.md": "![Big](/img/big.jpg)"})
    build(root)
    (tag,) = tags(root, "index.html", "img")
    srcset = re.search(r'srcset="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    widths = [int(item.split()[1][:-1]) for item in srcset.split(", ")]
    assert widths == [640, 960, 1280, 1920, 2400]
    assert 'sizes="(min-width: 44rem) 40rem, 100vw"' in tag
    for item in srcset.split(", "):
        url, width = item.split()
        with Image.open(root / "_site" / url.removeprefix("/R/")) as made:
            assert made.width == int(width[:-1]) and made.format == "JPEG"
    cached = sorted((root / ".site_cache/images").iterdir())
    assert len(cached) == 4
    times = [path.stat().st_mtime_ns for path in cached]
    # A rebuild from an empty output folder still encodes nothing: the variants are cached.
    for path in (root / "_site").rglob("*.w960.jpg"):
        path.unlink()
    (root / "content/index.md").write_text(PAGE.format(title="x", body="![Big](/img/big.jpg) x"))
    build(root)
    assert [path.stat().st_mtime_ns for path in cached] == times
    assert sorted((root / ".site_cache/images").iterdir()) == cached
    assert len(list((root / "_site/img").glob("big.*.w*.jpg"))) == 4


def test_an_unreadable_image_is_a_located_error(make_project: MakeProject) -> None:
    root = project(make_project, {"content/index.md": "Text\n\n![Broken](keynote/broken.png)"})
    (root / "content/keynote/broken.png").write_bytes(b"not an image at all")
    (error,) = failures(root)
    assert error.where is not None and (error.where.line, error.where.column) == (6, 11)
    assert error.message == (
        "cannot read the image keynote/broken.png: it is not a PNG, JPEG, GIF or WebP image"
    )


def test_a_large_image_damaged_past_its_header_is_an_error_at_the_file(
    make_project: MakeProject,
) -> None:
    root = project(make_project, {"content/index.md": "![Big](/img/big.jpg)"})
    raw = (root / "static/img/big.jpg").read_bytes()
    (root / "static/img/big.jpg").write_bytes(raw[: len(raw) // 3])
    (error,) = failures(root)
    assert error.where is not None and error.where.path == "static/img/big.jpg"
    assert error.message.startswith("this image cannot be resized")
    assert not (root / ".site_cache/images").exists() or not any(
        (root / ".site_cache/images").iterdir()
    )


def test_an_image_without_alt_text_is_a_warning_unless_decorative(
    make_project: MakeProject,
) -> None:
    body = "![](/img/share.png)\n\n![](keynote/diagram.png){.decorative}"
    root = project(make_project, {"content/index.md": body})
    result = build(root)
    (warning,) = result.warnings
    assert warning.message == "the image /img/share.png has no alt text"
    assert warning.where is not None and warning.where.line == 4
    assert ".decorative" in (warning.hint or "")
    assert all('alt=""' in tag for tag in tags(root, "index.html", "img"))


def test_a_titled_image_alone_in_its_paragraph_is_a_figure(make_project: MakeProject) -> None:
    body = '![A chart](/img/share.png "Sales <by> year")\n\nInline ![x](/img/share.png "t") here'
    root = project(make_project, {"content/index.md": body}, raw_html="false")
    build(root)
    html = (root / "_site/index.html").read_text()
    figure = re.search(r"<figure>(.*?)</figure>", html, re.S).group(1)  # type: ignore[union-attr]
    assert figure.startswith('<img src="/R/img/share.') and 'alt="A chart"' in figure
    assert "title=" not in figure
    assert figure.endswith("<figcaption>Sales &lt;by&gt; year</figcaption>")
    assert re.search(r'<p>Inline <img [^>]*title="t"', html)


def test_a_file_on_a_page_or_generated_path_is_an_error(make_project: MakeProject) -> None:
    root = project(make_project, {"content/index.md": "Home", "content/about.md": "About"})
    (root / "content/about").mkdir()
    (root / "content/about/index.html").write_text("x")
    (root / "content/sitemap.xml").write_text("x")
    errors = failures(root)
    found = {e.where.path: e.message for e in errors if e.where is not None}
    assert found["content/about/index.html"].endswith("which is the page content/about.md")
    assert "sitemap.xml" in found["content/sitemap.xml"]


def test_changing_an_image_renders_again_the_pages_that_show_it(
    make_project: MakeProject,
) -> None:
    root = project(make_project, {"content/index.md": "![Diagram](keynote/diagram.png)"})
    build(root)
    image(root / "content/keynote/diagram.png", 90, 30)
    result = build(root)
    assert "index.html" in result.rendered
    (tag,) = tags(root, "index.html", "img")
    assert 'width="90" height="30"' in tag
    image(root / "static/img/share.png", 301, 200)
    assert "index.html" in build(root).rendered  # coarse: any file change renders every page


def test_a_cname_file_beside_the_pages_is_published_unless_site_yml_sets_one(
    make_project: MakeProject,
) -> None:
    root = project(make_project, {"content/index.md": "Home"})
    (root / "content/CNAME").write_text("docs.example.org\n")
    build(root)
    assert (root / "_site/CNAME").read_text() == "docs.example.org\n"
    (root / "site.yml").write_text("title: T\nbase_url: https://example.org/R/\ncname: a.org\n")
    (error,) = failures(root)
    assert error.where is not None and error.where.path == "content/CNAME"
    assert error.message.endswith("which is the generated file CNAME")


def test_every_image_variant_and_file_is_reachable_when_served_under_the_base_path(
    make_project: MakeProject,
) -> None:
    """Served as GitHub Pages serves a project site (/R/) and crawled from the home page."""
    root = project(
        make_project,
        {
            "content/index.md": "![Big](/img/big.jpg) [guide](guide/index.md) "
            "[keynote](keynote.md) [slides](guide/slides.pdf)",
            "content/keynote.md": "![Diagram](keynote/diagram.png)",
            "content/guide/index.md": "![Photo](photo.png) ![Share](../../static/img/share.png)",
        },
    )
    build(root)
    with PagesServer(root / "_site", "/R/") as server:
        result = Crawler(server.base_url, "https://example.org/R/").crawl({server.base_url: 200})
    assert result.problems == []
    fetched = {url.removeprefix(server.base_url) for url, r in result.resources.items()}
    assert {"keynote/diagram.png", "guide/photo.png", "guide/slides.pdf"} <= fetched
    assert len([name for name in fetched if re.fullmatch(r"img/big\.\w+\.w\d+\.jpg", name)]) == 4
    assert any(re.fullmatch(r"img/share\.\w+\.png", name) for name in fetched)


def test_a_missing_file_in_raw_html_points_to_markdown(make_project: MakeProject) -> None:
    root = project(
        make_project, {"content/index.md": 'Text\n\n<img src="/R/img/share.png" alt="x">'}
    )
    (error,) = failures(root)
    assert error.message.startswith("broken link: /R/img/share.png")
    assert error.where is not None and error.where.line == 6
    assert "Raw HTML is written as it is: use Markdown" in (error.hint or "")


@pytest.mark.parametrize(
    ("root", "size"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="64px" height="32">', (64, 32)),
        ('<svg viewBox="0 0 120.4 80" width="100%">', (120, 80)),
        ("<svg width='10em' height='5em'>", None),
    ],
)
def test_an_svg_gets_the_size_its_root_element_states(
    make_project: MakeProject, root: str, size: tuple[int, int] | None
) -> None:
    site = project(make_project, {"content/index.md": "![Icon](/img/icon.svg)"})
    (site / "static/img/icon.svg").write_text(f'<?xml version="1.0"?>\n{root}</svg>\n')
    build(site)
    (tag,) = tags(site, "index.html", "img")
    if size is None:
        assert "width=" not in tag
    else:
        assert f'width="{size[0]}" height="{size[1]}"' in tag and "srcset" not in tag


def test_editor_backup_and_swap_files_beside_the_pages_are_not_published(
    make_project: MakeProject,
) -> None:
    root = project(make_project, {"content/index.md": "Home"})
    for name in ("index.md~", "#index.md#", "diagram.png.swp", "4913", "notes.txt"):
        (root / "content" / name).write_text("x")
    build(root)
    published = {p.name for p in (root / "_site").iterdir()}
    assert "notes.txt" in published
    assert not {"index.md~", "#index.md#", "diagram.png.swp", "4913"} & published


def test_a_photo_taken_upright_gets_its_upright_size_and_variants(
    make_project: MakeProject,
) -> None:
    """A phone stores a portrait photo as landscape pixels with an EXIF orientation; browsers
    show it turned, so the size and the variants (which keep no EXIF) must be turned too."""
    root = project(make_project, {"content/index.md": "![Portrait](photo.jpg)"})
    photo = Image.new("RGB", (2000, 1500), (10, 120, 200))
    exif = photo.getexif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to show
    photo.save(root / "content/photo.jpg", exif=exif)
    build(root)
    (tag,) = tags(root, "index.html", "img")
    assert 'width="1500" height="2000"' in tag
    (variant,) = (root / "_site").glob("photo.*.w640.jpg")
    with Image.open(variant) as made:
        assert made.size == (640, 853)


def test_a_full_feed_carries_images_with_absolute_urls(make_project: MakeProject) -> None:
    root = project(
        make_project,
        {
            "content/index.md": "[news](news/index.md)",
            "content/news/index.md": "Latest",
            "content/news/launch.md": "![Big](../../static/img/big.jpg) ![Beside](shot.png)",
        },
    )
    index = root / "content/news/index.md"
    index.write_text(index.read_text().replace("---\nLatest", "feed: full\n---\nLatest"))
    launch = root / "content/news/launch.md"
    launch.write_text(launch.read_text().replace("---\n!", "date: 2025-09-24\n---\n!", 1))
    image(root / "content/news/shot.png", 40, 30)
    build(root)
    feed = (root / "_site/news/feed.xml").read_text()
    assert 'src="https://example.org/R/img/big.' in feed
    assert 'src="https://example.org/R/news/shot.png"' in feed
    srcset = re.search(r'srcset="([^"]*)"', feed).group(1)  # type: ignore[union-attr]
    assert all(item.startswith("https://example.org/R/img/big.") for item in srcset.split(", "))


def test_with_the_project_as_content_folder_its_config_and_templates_stay_unpublished(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {"site.yml": "title: T\ncontent_dir: .\n", "index.md": PAGE.format(title="H", body="x")}
    )
    (root / "notes.txt").write_text("published")
    (root / "data").mkdir()
    (root / "data/facts.yml").write_text("a: 1\n")
    build(root)
    published = {p.relative_to(root / "_site").as_posix() for p in (root / "_site").rglob("*")}
    assert "notes.txt" in published
    assert not {"site.yml", "templates", "data"} & published
