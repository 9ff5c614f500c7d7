"""Short forms of text people read: cut at a word and ended with '…', never mid-word."""

from __future__ import annotations


def shorten(text: str, limit: int) -> str:
    """The text on one line; when longer than `limit` characters, cut at a word boundary
    (or mid-word only when one word fills most of the limit) and ended with '…'."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"
