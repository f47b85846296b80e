"""Writing messages and spans of time as people read them."""

from __future__ import annotations

from collections.abc import Iterable

_STOPS = ".!?…"


def sentence(text: str) -> str:
    """One line of text as a sentence: spaces collapsed, a full stop where none ends it."""
    text = " ".join(text.split())
    if text and text[-1] not in _STOPS:
        text += "."
    return text


def sentences(texts: Iterable[str], *, limit: int | None = None) -> str:
    """Messages that are sentences, joined as prose: "Gate X is not ready. Y has no body."

    Joining them with "; " read "… not ready.; Y …". Within `limit` characters, whole
    sentences are kept and the rest counted ("… And 2 more."); a first sentence that
    alone is too long is cut with an ellipsis.
    """
    whole = [s for s in map(sentence, texts) if s]
    text = " ".join(whole)
    if limit is None or len(text) <= limit:
        return text
    for keep in range(len(whole) - 1, 0, -1):
        text = " ".join([*whole[:keep], f"And {len(whole) - keep} more."])
        if len(text) <= limit:
            return text
    tail = f" And {len(whole) - 1} more." if len(whole) > 1 else ""
    return whole[0][: max(0, limit - len(tail) - 1)].rstrip() + "…" + tail


def short_span(seconds: float) -> str:
    """A span as people say it: 24 h, 1 h, 2 h 30 min, 5 min, 10 s (to the nearest)."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(round(whole / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes} min" if minutes else "")
