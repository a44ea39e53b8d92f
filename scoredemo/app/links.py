"""The link to exactly this view (pure: no Streamlit): the app's address, the scene's page and the query string.

The browser's address as Streamlit reports it (``st.context.url``) has no query, and in Streamlit 1.67 it does
have the current page's path: Streamlit trims whatever page path the browser sent and adds the current page's
(``runtime/context_util.py``), so ``http://host/mixing`` on scene 7 and ``http://host`` on scene 1, the default
page, which is served at the root (``/score-fields`` is "page not found"). Behind a proxy or with
``server.baseUrlPath`` the app's root is deeper (``http://host/course/mixing``). So the app's root is the address
less a last path segment that names a scene, and the link is that root, the current page's path (none for the
default page) and the query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

Query = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]


def app_root(address: str, scene_paths: Iterable[str]) -> str:
    """The app's root address: ``address`` without its query, fragment and trailing slash, and without a last path
    segment that is one of ``scene_paths`` (the page Streamlit adds)."""
    parts = urlsplit(address.strip())
    segments = parts.path.rstrip("/").split("/")
    if len(segments) > 1 and unquote(segments[-1]) in {p.strip("/") for p in scene_paths if p.strip("/")}:
        segments = segments[:-1]
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), "", ""))


def query_pairs(query: Query) -> list[tuple[str, str]]:
    """(key, value) pairs in order; a key with several values gives one pair each."""
    items = query.items() if isinstance(query, Mapping) else query
    out: list[tuple[str, str]] = []
    for key, values in items:
        for value in [values] if isinstance(values, str) else values:
            out.append((str(key), str(value)))
    return out


def encode_query(query: Query) -> str:
    """The query string (no "?"): form-encoded (a space is ``+``), with ``,`` ``:`` ``/`` kept readable, so a
    drawing's ``components=0, 0, 1, 1`` stays short on a QR code (``0,+0,+1,+1``)."""
    return urlencode(query_pairs(query), quote_via=quote_plus, safe=",:/")


def share_link(address: str, page: str, scene_paths: Sequence[str], query: Query) -> str:
    """The link that opens this view: the app's root (:func:`app_root` of the browser's ``address``), then the
    current ``page`` (its url path; ``""`` or the first of ``scene_paths``, the default page, is served at the
    root), then ``?`` and the query when there is one."""
    root = app_root(address, scene_paths)
    page = page.strip("/")
    if scene_paths and page == scene_paths[0].strip("/"):
        page = ""
    qs = encode_query(query)
    return f"{root}/{quote(page)}" + (f"?{qs}" if qs else "")
