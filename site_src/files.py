"""Files a Markdown page shows or links to: static files and the files beside the pages in the
content folder. Where each is published, how a path written in Markdown finds it, the real size
of raster images, and the resized copies (variants) of large ones.

A path in Markdown names a file three ways, all leading to the published file:

- from the site root, as the file is served: `/img/share.png` for `static/img/share.png`
  (published as `img/share.0123456789.png`) or for `content/img/share.png`;
- relative to the .md file, as an editor's preview or GitHub shows it: `../static/img/share.png`;
- a file beside the page under content/: `keynote/diagram.png` from `content/keynote.md`.

Variants are made with Pillow once per image and width, and kept in the build's cache folder
under the hash of the image's bytes, so a rebuild (even a clean one) encodes nothing again.
"""

from __future__ import annotations

import difflib
import html
import io
import os
import posixpath
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from PIL import Image, ImageOps, UnidentifiedImageError

from .cache import digest_bytes, digest_of
from .errors import SiteError, located
from .model import Asset, ImageInfo, Page, url_to_output_path

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
# Formats whose variants Pillow writes well; a GIF is mostly an animation or a tiny icon.
RESIZABLE: dict[str, dict[str, int | bool]] = {
    "PNG": {"optimize": True},
    "JPEG": {"quality": 82, "optimize": True},
    "WEBP": {},
}
# An image wider than this gets variants: twice the width of the theme's text column (70ch, near
# 40rem = 640 px) serves a 2x screen as it is; a larger photo would make a phone or a 1x screen
# download pixels it cannot show.
LARGE = 1280
VARIANT_WIDTHS = (640, 960, 1280, 1920)
# How wide the image is shown: the text column's width on a wide screen, the whole screen on a
# narrow one.
SIZES = "(min-width: 44rem) 40rem, 100vw"
# The EXIF orientation tag, and its values that turn an image by a quarter (a phone held upright).
ORIENTATION = 0x0112
TURNED = (5, 6, 7, 8)
SVG_ROOT = re.compile(r"<svg\b([^>]*)>")
SVG_ATTR = re.compile(r"""([\w:-]+)\s*=\s*["']([^"']*)["']""")
SVG_LENGTH = re.compile(r"(\d+(?:\.\d+)?)(?:px)?")
SVG_SIZE = ("width", "height")
# Links to these are links to pages, even when their name has a dot.
PAGE_SUFFIXES = (".md", ".html", ".htm")


def image_info(name: str, raw: bytes) -> ImageInfo | None:
    """The size of a raster image (None for any other file), or why Pillow cannot read it; an
    SVG's size where its root element states it plainly.

    Only the header is read (every build does this for every image, so a whole decode would
    cost a no-op build seconds on a site of photos); a file damaged past its header is found
    when a variant is made from it."""
    if name.lower().endswith(".svg"):
        return svg_info(raw)
    if not name.lower().endswith(RASTER_SUFFIXES):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as image:
                width, height, kind = image.width, image.height, image.format or ""
                animated = bool(getattr(image, "is_animated", False))
                if image.getexif().get(ORIENTATION) in TURNED:  # shown turned by a quarter
                    width, height = height, width
    except UnidentifiedImageError:
        return ImageInfo(problem="it is not a PNG, JPEG, GIF or WebP image")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        return ImageInfo(problem=str(exc) or type(exc).__name__)
    except Image.DecompressionBombError as exc:
        return ImageInfo(problem=str(exc))
    return ImageInfo(width, height, kind, animated)


def svg_info(raw: bytes) -> ImageInfo | None:
    """An SVG's size from its root element's `width` and `height` (plain numbers or px), else its
    `viewBox`; None when it says neither (a size in % or em depends on the page)."""
    root = SVG_ROOT.search(raw[:4096].decode("utf-8", errors="replace"))
    if root is None:
        return None
    attrs = dict(SVG_ATTR.findall(root.group(1)))
    width, height = (SVG_LENGTH.fullmatch(attrs.get(key, "").strip()) for key in SVG_SIZE)
    if width and height:
        size = (round(float(width.group(1))), round(float(height.group(1))))
    else:
        box = attrs.get("viewBox", "").replace(",", " ").split()
        try:
            size = (round(float(box[2])), round(float(box[3])))
        except (IndexError, ValueError):
            return None
    return ImageInfo(*size, format="SVG") if min(size) > 0 else None


def variants(asset: Asset) -> tuple[tuple[int, str], ...]:
    """(width, output path) of each resized copy a large image gets, beside its published file,
    named with its hash so a browser may keep it forever."""
    image = asset.image
    if image is None or image.problem or image.animated or image.format not in RESIZABLE:
        return ()
    if image.width <= LARGE:
        return ()
    stem, ext = posixpath.splitext(asset.logical)
    return tuple(
        (width, f"{stem}.{asset.digest[:10]}.w{width}{ext}")
        for width in VARIANT_WIDTHS
        if width < image.width
    )


def variant_key(asset: Asset, width: int) -> str:
    """The cache key of one variant: its image's bytes and its width (and nothing else)."""
    return digest_of("variant", asset.digest, width)


def make_variant(source: Path, asset: Asset, width: int, cache_dir: Path) -> Path:
    """The file holding `asset` resized to `width`, made once and kept in the cache folder."""
    ext = posixpath.splitext(asset.logical)[1]
    cached = cache_dir / "images" / f"{asset.digest}.w{width}{ext}"
    if cached.is_file():
        return cached
    raw = source.read_bytes()
    if digest_bytes(raw) != asset.digest:
        raise OSError("the file changed while the site was being built; build again")
    cached.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(io.BytesIO(raw)) as image:
        kind = image.format or ""
        # Turned as the camera says (a variant keeps no EXIF), in a mode that resizes smoothly.
        upright = ImageOps.exif_transpose(image)
        if upright.mode in ("P", "1"):
            upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
        height = max(1, round(upright.height * width / upright.width))
        small = upright.resize((width, height), Image.Resampling.LANCZOS)
    handle, temporary = tempfile.mkstemp(prefix=".variant-", dir=cached.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            small.save(stream, format=kind, **RESIZABLE.get(kind, {}))
        os.replace(temporary, cached)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return cached


@dataclass(frozen=True, slots=True)
class SiteFiles:
    """The files Markdown can name by path: static files (the theme's too) by their path under
    the static folder, content files by their path under the content folder; with every path
    the output will hold, to tell a missing file from a generated one (a feed, the 404 page)."""

    static: Mapping[str, Asset]
    content: Mapping[str, Asset]
    static_root: str
    content_root: str
    outputs: frozenset[str]

    def find(self, path: str, source: str, base_path: str, page_url: str = "/") -> Asset | None:
        """The file a Markdown path (without ?query and #fragment) names, from the page
        `source` (a project path, e.g. content/keynote.md): relative to the source file first,
        then as a browser on `page_url` reads it (`diagram.png` on /keynote/ is
        content/keynote/diagram.png, as Hugo's page bundles write it)."""
        path = unquote(path)
        if path.startswith("/"):
            if base_path != "/" and path.startswith(base_path):
                path = "/" + path[len(base_path) :]
            site = posixpath.normpath(path).lstrip("/")
            return self.content.get(site) or self.static.get(site)
        target = self.target(path, source)
        for root, files in ((self.content_root, self.content), (self.static_root, self.static)):
            if target.startswith(root + "/") and target[len(root) + 1 :] in files:
                return files[target[len(root) + 1 :]]
        site = posixpath.normpath(posixpath.join(page_url, path))
        return self.content.get(site.lstrip("/")) if site.startswith("/") else None

    def target(self, path: str, source: str) -> str:
        """The project path a relative Markdown path names."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(path)))

    def published(self, path: str, page_url: str, base_path: str) -> bool:
        """Whether a browser on `page_url` would find a file or page at `path`."""
        try:
            site_path = urlsplit(urljoin(base_path + page_url.lstrip("/"), path)).path
        except ValueError:
            return False
        site_path = unquote(site_path)
        plain = unquote(base_path)
        if not site_path.startswith(plain):
            return False
        output = url_to_output_path("/" + site_path[len(plain) :])
        return output in self.outputs or output + "/index.html" in self.outputs

    def nearest(self, path: str, source: str) -> str | None:
        """The existing file closest to a path that names none, written the way it was."""
        if path.startswith("/"):
            written = {"/" + name: name for name in {*self.static, *self.content}}
        else:
            folder = posixpath.dirname(source)
            written = {
                posixpath.relpath(f"{root}/{name}", folder): name
                for root, files in (
                    (self.static_root, self.static),
                    (self.content_root, self.content),
                )
                for name in files
            }
        close = difflib.get_close_matches(unquote(path), sorted(written), n=1, cutoff=0.75)
        return close[0] if close else None


def is_file_link(path: str) -> bool:
    """Whether a link names a file (a download, an image) rather than a page."""
    name = path.rsplit("/", 1)[-1]
    return "." in name.strip(".") and not name.lower().endswith(PAGE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Placed:
    """One file the build copies into the site as it is: a static file, a content file, or a
    variant (`width` > 0) of either; `key` is its cache key, `source` where its bytes are."""

    output: str
    key: str
    asset: Asset
    source: Path
    origin: str
    width: int = 0


def placed_files(
    static: Mapping[str, Asset],
    content: Mapping[str, Asset],
    static_source: Callable[[str], Path],
    static_root: str,
    content_dir: Path,
    content_root: str,
) -> list[Placed]:
    """Every static file, content file and variant the site publishes."""
    placed = []
    for asset in static.values():
        source = static_source(asset.logical)
        placed.append(
            Placed(asset.output, asset.digest, asset, source, f"{static_root}/{asset.logical}")
        )
    for asset in content.values():
        source = content_dir / asset.logical
        origin = f"{content_root}/{asset.logical}"
        placed.append(Placed(asset.output, asset.digest, asset, source, origin))
    for item in list(placed):
        placed += [
            Placed(
                output, variant_key(item.asset, width), item.asset, item.source, item.origin, width
            )
            for width, output in variants(item.asset)
        ]
    return placed


class PageFiles:
    """How one page's Markdown images and links to files are written: the published URL (with
    the base path), and for an image its real size, lazy loading below the first image, and a
    `srcset` of its variants; with the problems found (missing or unreadable files, images
    without alt text). One per page render."""

    def __init__(self, files: SiteFiles, page: Page, base_path: str, text: str) -> None:
        self.files = files
        self.page = page
        self.base_path = base_path
        self.text = text
        self.first_image = True
        self.missing: set[str] = set()
        self.problems: list[SiteError] = []

    def resolve(self, token: Token, href: str, line: int, column: int | None) -> str | None:
        """The URL to write for an image or a link to a file; None when the link is not to a
        file of the site (a page, an outside URL), for `markdown.rewrite_link` to handle."""
        is_image = token.type == "image"
        if is_image:
            self._check_alt(token, href, line, column)
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        path = parts.path
        if parts.scheme or parts.netloc or not path or path.endswith((".md", "/")):
            if is_image:
                self._loading(token)
            return None
        found = self.files.find(path, self.page.source, self.base_path, self.page.url)
        if found is None:
            named_file = is_image or is_file_link(path)
            if named_file and not self.files.published(path, self.page.url, self.base_path):
                self._missing(href, path, line, column)
                return href
            if is_image:
                self._loading(token)
            return None
        if is_image:
            self._dress(token, found, href, line, column)
        suffix = ("?" + parts.query if parts.query else "") + (
            "#" + parts.fragment if parts.fragment else ""
        )
        return self.url(found.output) + suffix

    def url(self, output: str) -> str:
        return self.base_path + quote(output)

    def _dress(self, token: Token, asset: Asset, href: str, line: int, column: int | None) -> None:
        image = asset.image
        if image is not None and image.problem:
            self.problems.append(
                located(
                    f"cannot read the image {href}: {image.problem}",
                    self.page.source,
                    self.text,
                    line,
                    column,
                    "The file is not a PNG, JPEG, GIF or WebP image that can be read (a "
                    "truncated download, or another format under this name): export it again.",
                )
            )
            return
        if image is not None:
            token.attrSet("width", str(image.width))
            token.attrSet("height", str(image.height))
            sizes = variants(asset)
            if sizes:
                items = [f"{self.url(out)} {width}w" for width, out in sizes]
                items.append(f"{self.url(asset.output)} {image.width}w")
                token.attrSet("srcset", ", ".join(items))
                token.attrSet("sizes", SIZES)
        self._loading(token)

    def _loading(self, token: Token) -> None:
        """The first image of a page is most likely in view: it loads at once, the rest when
        they come near the screen; none holds up the rest of the page while it is decoded."""
        token.attrSet("decoding", "async")
        if self.first_image:
            self.first_image = False
        else:
            token.attrSet("loading", "lazy")

    def _check_alt(self, token: Token, href: str, line: int, column: int | None) -> None:
        if token.content.strip() or "decorative" in str(token.attrGet("class") or "").split():
            return
        self.problems.append(
            located(
                f"the image {href} has no alt text",
                self.page.source,
                self.text,
                line,
                column,
                "Say what the image shows for people who cannot see it: ![A diagram of the "
                "build](diagram.png). An image that only decorates is marked "
                "![](divider.png){.decorative}.",
                severity="warning",
            )
        )

    def _missing(self, href: str, path: str, line: int, column: int | None) -> None:
        self.missing.add(href)
        source = self.page.source
        if path.startswith("/"):
            site = unquote(path)
            if self.base_path != "/" and site.startswith(self.base_path):
                site = "/" + site[len(self.base_path) :]
            names = " or ".join(
                f"{root}{site}" for root in (self.files.content_root, self.files.static_root)
            )
            why = f"there is no {names}"
        else:
            why = f"there is no {self.files.target(path, source)}"
        hint = (
            "Name a file by its path from this .md file (../static/img/a.png), from the site "
            "root (/img/a.png for static/img/a.png), or put it beside the page "
            "(content/guide/a.png is guide/a.png from content/guide.md)."
        )
        nearest = self.files.nearest(path, source)
        if nearest is not None:
            hint = f"Did you mean {nearest}? {hint}"
        kind = "image" if path.lower().endswith((*RASTER_SUFFIXES, ".svg")) else "file"
        message = f"missing {kind}: {href} ({why})"
        self.problems.append(located(message, source, self.text, line, column, hint))


def figures(state: StateCore) -> None:
    """An image alone in its paragraph, with a title, is a figure and the title its caption:
    `![A chart](chart.png "Sales by year")`. Not in a tight list, whose paragraphs have no tags."""
    tokens = state.tokens
    for index in range(len(tokens) - 2):
        opening, inline, closing = tokens[index : index + 3]
        if opening.type != "paragraph_open" or opening.hidden or closing.type != "paragraph_close":
            continue
        children = inline.children or []
        if len(children) != 1 or children[0].type != "image":
            continue
        title = children[0].attrGet("title")
        if not title:
            continue
        del children[0].attrs["title"]
        opening.tag = closing.tag = "figure"
        caption = Token("html_inline", "", 0)
        caption.content = f"<figcaption>{html.escape(str(title))}</figcaption>"
        children.append(caption)
