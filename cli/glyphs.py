"""Drawing characters: Unicode, or ASCII for a stdout that cannot encode them."""
from __future__ import annotations

#: The few non-ASCII characters of our output, and their ASCII stand-ins for a
#: stdout that cannot encode them (LANG=C, a latin-1 console).
UNICODE_GLYPHS = {"times": "×", "arrow": "→", "both": "↔", "more": "…", "branch": "├── ", "last": "└── ", "pipe": "│   "}
ASCII_GLYPHS = {"times": "x", "arrow": "->", "both": "<->", "more": "...", "branch": "|-- ", "last": "`-- ", "pipe": "|   "}
GLYPHS = dict(UNICODE_GLYPHS)


def use_glyphs_for(stream) -> None:
    """Pick Unicode or ASCII drawing characters by what ``stream`` can encode."""
    try:
        "".join(UNICODE_GLYPHS.values()).encode(getattr(stream, "encoding", None) or "utf-8")
        GLYPHS.update(UNICODE_GLYPHS)
    except (UnicodeEncodeError, LookupError):
        GLYPHS.update(ASCII_GLYPHS)
