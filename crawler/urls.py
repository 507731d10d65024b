"""URL canonicalisation: one article, one URL, however it was linked.

Two levels, because they serve different ends:
- `clean_url` only removes what never selects content (fragments, tracking and session
  parameters, default ports, host case). It is safe to request.
- `canonical_url` also sorts the query and drops a trailing slash. It is the archive's
  identity for an article and is never requested, since a server may treat `/a/` and `/a`
  differently even when they are the same article.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

#: Query parameters that only say where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "ocid", "cmpid", "ito", "ref_src", "ref_url", "spm", "s_cid", "wt_mc",
        "rb_clickid", "ncid", "sr_share", "share", "amp_js_v", "usqp", "__twitter_impression",
    }
)  # fmt: skip
#: Prefixes of whole families of tracking parameters (utm_source, utm_medium, ...).
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hmb_", "oly_", "vero_", "ns_")
#: Session identifiers, in the query or as `;name=value` path parameters.
SESSION_PARAMS = frozenset(
    {"sid", "sessionid", "session_id", "phpsessid", "jsessionid", "cfid", "cftoken", "zenid"}
)
_PATH_SESSION = re.compile(r";(?:jsessionid|sid|phpsessid|sessionid)=[^/?#;]*", re.IGNORECASE)
_ASP_SESSION = re.compile(r"^aspsessionid[a-z]*$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_noise_param(name: str) -> bool:
    """True for a query parameter that never changes which article a URL shows."""
    name = name.lower()
    return (
        name in TRACKING_PARAMS
        or name in SESSION_PARAMS
        or name.startswith(TRACKING_PREFIXES)
        or bool(_ASP_SESSION.match(name))
    )


def clean_url(url: str) -> str:
    """The URL without fragment, tracking and session parameters or default port.

    Raises ValueError for text that cannot be a web address (a bad port, say).
    """
    parts = urlsplit(safe_url_string(url.strip()))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = f"[{host}]" if ":" in host else host
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    # Pieces are kept as written: `?12345`, `?/politics/1` and `a=b;c=d` must survive.
    query = "&".join(
        piece for piece in parts.query.split("&") if piece and not is_noise_param(_name(piece))
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _name(piece: str) -> str:
    return unquote_plus(piece.partition("=")[0])


def canonical_url(url: str) -> str:
    """The archive's identity for an article URL (see the module docstring)."""
    canonical = canonicalize_url(clean_url(url))
    parts = urlsplit(canonical)
    if len(parts.path) > 1 and parts.path.endswith("/"):
        canonical = urlunsplit(parts._replace(path=parts.path.rstrip("/") or "/"))
    return canonical


_PATH_DATE = re.compile(
    r"/((?:19|20)\d{2})(?:[/-](?:0?[1-9]|1[0-2])[/-]|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:/|\b))"
)


def year_in_path(url: str) -> int | None:
    """The year of a date in a URL path (`/2018/09/13/`, `/2018-09-`, `/20180913/`); none
    in a URL that cannot be split (`http://[`), as there is no path to read."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _PATH_DATE.search(path)
    return int(match.group(1)) if match else None
