"""URLs the build writes: checked once where they come from, and percent-encoded exactly once.

A URL from the config, data or a file name may hold spaces or non-ASCII characters, or already be
encoded (`%20`); encoding keeps every valid `%XX` escape, so both spellings end up the same and a
link checker that decodes them finds the file either way. Source names cannot contain `%`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

# Schemes a published link may use; javascript:, data:, vbscript:, file: and the rest are refused.
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "webcal"})
WEB_SCHEMES = frozenset({"http", "https"})
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_KEEP = "/:?#[]@!$&'()*+,;=~%"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")


class BadURL(ValueError):
    """Why a URL cannot be published (the caller knows where it came from), and what to do."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.hint = hint


def encode_url(url: str) -> str:
    """Percent-encode what a URL may not hold (spaces, non-ASCII, quotes), not what it already
    encodes: `a b`, `a%20b` and `a%2` become `a%20b`, `a%20b` and `a%252`."""
    return quote(_LONE_PERCENT.sub("%25", url), safe=_KEEP)


def clean_url(url: str, schemes: frozenset[str] = LINK_SCHEMES) -> str:
    """The URL as the build writes it: encoded, its host in ASCII (punycode); BadURL if it cannot
    be published safely (a script or data scheme, a password, a control character)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise BadURL("contains a control character")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadURL("is not a valid URL") from None
    if parts.scheme and parts.scheme.lower() not in schemes:
        raise BadURL(f"uses the '{parts.scheme}:' scheme, which a published link may not use")
    if parts.username is not None or parts.password is not None:
        raise BadURL(
            "contains a user name or password, which would be published with it",
            "Remove the 'name:password@' part: a published link must not carry credentials.",
        )
    host = parts.hostname or ""
    if not host.isascii():
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadURL(
                f"has a host name {host!r} that has no ASCII (punycode) form",
                "Check the host name, or write it in punycode (xn--...) as your registrar shows it.",
            ) from None
        netloc = ascii_host + (f":{port}" if port is not None else "")
        url = urlunsplit(parts._replace(netloc=netloc))
    return encode_url(url)


def redact(url: str) -> str:
    """The URL with any user name and password hidden, for messages that end up in CI logs."""
    return _USERINFO.sub(lambda match: f"{match.group(1) or ''}//***@", url)


def has_scheme(url: str) -> bool:
    try:
        return bool(urlsplit(url).scheme)
    except ValueError:
        return False
