"""Masking of passwords in connection URIs, for every screen, log and report."""

from __future__ import annotations

import re

# scheme://user:password@host  ->  scheme://user:***@host
# The password runs to the last "@" on the line: operators type passwords with
# "@", "/" or even spaces unencoded, and masking too much is better than leaking a part.
# It stops before another URI on the same line.
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>(?:(?!\s+[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\n])*)(?P<at>@)")
# ?password=...&  or  ;password=...   (SQLObject accepts options in the query string)
_QUERY = re.compile(r"(?P<head>[?&;](?:password|passwd|pwd)=)(?P<pw>[^&;#\s]*)", re.IGNORECASE)

MASK = "***"


def mask_secrets(text: str) -> str:
    """Return *text* with every password in a URI replaced by ``***``.

    Works on a bare URI or on any text that embeds URIs (log lines, tracebacks).
    """
    text = _USERINFO.sub(lambda m: m["head"] + (MASK if m["pw"] else "") + m["at"], text)
    return _QUERY.sub(lambda m: m["head"] + MASK, text)
