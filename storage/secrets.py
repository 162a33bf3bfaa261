"""Masking of passwords in connection URIs, for every screen, log and report."""

from __future__ import annotations

import re

# scheme://user:password@host  ->  scheme://user:***@host
# The password runs to the last "@" of the URI: operators type passwords with
# "@" or "/" unencoded, and masking too much is better than leaking a part.
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>\S*)(?P<at>@)")
# ?password=...&  or  ;password=...   (SQLObject accepts options in the query string)
_QUERY = re.compile(r"(?P<head>[?&;](?:password|passwd|pwd)=)(?P<pw>[^&;#\s]*)", re.IGNORECASE)

MASK = "***"


def mask_secrets(text: str) -> str:
    """Return *text* with every password in a URI replaced by ``***``.

    Works on a bare URI or on any text that embeds URIs (log lines, tracebacks).
    """
    text = _USERINFO.sub(lambda m: m["head"] + (MASK if m["pw"] else "") + m["at"], text)
    return _QUERY.sub(lambda m: m["head"] + MASK, text)
