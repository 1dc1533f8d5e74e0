"""The literal values a request offers: spans of its text (and the ISO form of its dates).

A demonstration shows a small model how a similar request was planned; it must not lend it
its values ("Sushi" for a pizza order). Planning grammars therefore admit, for a text
argument, only these spans of the request (or a reference to an earlier node's output).
"""

from __future__ import annotations

import datetime as dt
import re

_QUOTED = re.compile(r"'([^']{1,300})'(?![a-z])|\"([^\"]{1,300})\"|‘([^’]{1,300})’|“([^”]{1,300})”")
_TOKEN = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+|[\w/-]+\.[A-Za-z0-9]{2,4}\b|\$?\d(?:[\d,]*\d)?(?:\.\d+)?%?|\d{1,2}:\d{2}(?:\s?[APap][Mm])?")
_WORD = re.compile(r"[\w$%][\w.,'’&/$%:-]*[\w%]|[\w$%]")
_STOP = frozenset(
    "a an the and or of to in on at for from with by about into as is are be i me my we you your it its this that these "
    "those please can could would will should help want need like do does did have has then also so some any".split()
)
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}  # fmt: skip
_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.IGNORECASE)
_DATE_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(_MONTHS) + r"),?\s+(\d{4})\b", re.IGNORECASE)


def _iso_dates(text: str) -> list[str]:
    found = []
    for month, day, year in _DATE.findall(text):
        found.append((int(year), _MONTHS[month.lower()], int(day)))
    for day, month, year in _DATE_DMY.findall(text):
        found.append((int(year), _MONTHS[month.lower()], int(day)))
    out = []
    for y, m, d in found:
        try:
            out.append(dt.date(y, m, d).isoformat())
        except ValueError:
            continue
    return out


def _trimmed(span: str) -> str:
    return span.strip().strip(".,;:!?()[]").strip()


def request_spans(request: str, *, max_words: int = 8, limit: int = 160, max_chars: int = 300) -> list[str]:
    """Candidate literal values of ``request``, most specific first: quoted text, file names, URLs,
    numbers and dates (also in ISO form), text after a colon, then word n-grams that neither
    start nor end with a stop word (up to ``max_words`` words). At most ``limit`` spans."""
    spans: list[str] = []
    for groups in _QUOTED.findall(request):
        spans += [g for g in groups if g]
    spans += _TOKEN.findall(request)
    spans += [t.lstrip("$").rstrip("%") for t in _TOKEN.findall(request) if t[:1] == "$" or t[-1:] == "%"]
    spans += _iso_dates(request)
    for part in re.split(r"(?<=:)\s+", request)[1:]:
        spans.append(part)
        spans.append(re.split(r"(?<=[.!?])\s", part)[0])
    words = _WORD.findall(request)
    for n in range(min(max_words, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if gram[0].lower() in _STOP or gram[-1].lower() in _STOP:
                continue
            spans.append(_phrase(request, gram) or " ".join(gram))
    out: list[str] = []
    seen: set[str] = set()
    for span in spans:
        for form in (span.strip(), _trimmed(span)):
            if form and len(form) <= max_chars and form not in seen and "<" not in form:
                seen.add(form)
                out.append(form)
    return out[:limit]


def _phrase(request: str, words: list[str]) -> str | None:
    """The words as they stand in the request (its own spacing), when they do."""
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(pattern, request)
    return found.group(0) if found else None


__all__ = ["request_spans"]
