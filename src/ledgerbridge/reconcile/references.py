"""Finding payout ids in bank text, whole or truncated, without comparing every pair.

Banks copy a payout id into the end-to-end id, the remittance information or the free-text
description, and often cut it: 16 characters of ``po_1Hx3kL2eZvKYlo2C8d9aBcDe`` is
``PO_1HX3KL2EZVKYL``. Some fields keep the *end* of the id instead. Comparison ignores case and
punctuation, so ``po_1Hx3k``, ``PO-1HX3K`` and ``PO 1HX3K`` are the same reference.

How a line is searched: its bank reference, references and description are split into tokens at
anything but letters, digits, ``_``, ``-`` and ``.``; each token is split again at those three
(``REF-po_1Hx3k`` → ``REF``, ``po``, ``1Hx3k``). Every run of up to :data:`MAX_PIECES` adjacent
pieces, and every run of up to :data:`MAX_JOINED_TOKENS` adjacent tokens, is a *span*. A span
matches a payout key when

* it equals the key (strength 1), for keys of at least :data:`MIN_REFERENCE_CHARS` characters
  (then it is that key, and not also a truncation of a longer one);
* it is a prefix or a suffix of the key and at least :data:`MIN_TRUNCATED_REFERENCE_CHARS` long
  (strength between :data:`TRUNCATED_STRENGTH_FLOOR` and 1, growing with the share of the key
  that survived).

Keys live in a dict (whole match) and in two sorted lists, one of the keys and one of the keys
reversed, so "keys that start (end) with this span" is one binary search: O(log n) a span.

A span that fits more than :data:`MAX_REFERENCE_FANOUT` payouts identifies nothing (a shared
descriptor such as ``STRIPE``, or a truncation that cut off everything that differed) and is
ignored; a span that fits two to that many payouts counts at half strength, so the matcher can
still use it alongside the amount but never trusts it alone.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

MIN_REFERENCE_CHARS = 6
"""Shorter ids are ignored: a four-digit number turns up in too many descriptions by chance."""
MIN_TRUNCATED_REFERENCE_CHARS = 10
"""A prefix or suffix of an id must keep this many characters to count as that id."""
MAX_REFERENCE_FANOUT = 8
"""A span fitting more payouts than this identifies none of them."""
TRUNCATED_STRENGTH_FLOOR = 0.8
"""Strength of a truncation that keeps almost nothing; a whole id has strength 1."""
SHARED_SPAN_FACTOR = 0.5
"""Strength multiplier when a span fits several payouts."""
STRONG_REFERENCE = TRUNCATED_STRENGTH_FLOOR
"""Hits at least this strong identify a payout on their own (one payout, whole or truncated)."""
MAX_PIECES = 4
MAX_JOINED_TOKENS = 3

_TOKEN_SEPARATOR = re.compile(r"[^\w.\-]+")
_PIECE_SEPARATOR = re.compile(r"[_.\-]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_AFTER_EVERYTHING = "\U0010ffff"


def normalise(text: str) -> str:
    """Upper case, letters and digits only: the form every comparison uses."""
    return _NOT_ALNUM.sub("", text.upper())


def spans(text: str) -> Iterator[str]:
    """Normalised candidate substrings of ``text`` where an id may sit (see module docstring)."""
    # After both splits a piece holds word characters other than "_": letters and digits.
    tokens = [
        [p for p in _PIECE_SEPARATOR.split(t) if p]
        for t in _TOKEN_SEPARATOR.split(text.upper())
        if t
    ]
    joined = ["".join(pieces) for pieces in tokens]
    for i, pieces in enumerate(tokens):
        for start in range(len(pieces)):
            run = ""
            for piece in pieces[start : start + MAX_PIECES]:
                run += piece
                yield run
        run = joined[i]
        for following in joined[i + 1 : i + MAX_JOINED_TOKENS]:
            run += following
            yield run


class ReferenceIndex:
    """Payout keys (ids and references) indexed for whole, prefix and suffix lookups."""

    def __init__(self, keys_by_payout: Sequence[Iterable[str]]) -> None:
        owners: defaultdict[str, list[int]] = defaultdict(list)
        for payout, keys in enumerate(keys_by_payout):
            for key in {normalise(k) for k in keys}:
                if len(key) >= MIN_REFERENCE_CHARS:
                    owners[key].append(payout)
        self._owners = dict(owners)
        self._sorted = sorted(self._owners)
        self._reversed = sorted(key[::-1] for key in self._owners)

    def _range(self, keys: list[str], span: str) -> tuple[int, int]:
        return bisect_left(keys, span), bisect_left(keys, span + _AFTER_EVERYTHING)

    def lookup(self, span: str) -> dict[int, float]:
        """Payouts whose key ``span`` is, or is a long enough prefix or suffix of, with strength."""
        found: list[tuple[str, float]] = []
        if span in self._owners:
            # A whole id is that id, not a truncation of some longer one.
            found.append((span, 1.0))
        elif len(span) >= MIN_TRUNCATED_REFERENCE_CHARS:
            lo, hi = self._range(self._sorted, span)
            rlo, rhi = self._range(self._reversed, span[::-1])
            if (hi - lo) + (rhi - rlo) > 2 * MAX_REFERENCE_FANOUT:
                return {}
            truncated = self._sorted[lo:hi] + [k[::-1] for k in self._reversed[rlo:rhi]]
            found.extend((key, _truncated_strength(len(span) / len(key))) for key in truncated)
        hits: dict[int, float] = {}
        for key, strength in found:
            for payout in self._owners[key]:
                hits[payout] = max(hits.get(payout, 0.0), strength)
        if len(hits) > MAX_REFERENCE_FANOUT:
            return {}
        if len(hits) > 1:
            return {p: s * SHARED_SPAN_FACTOR for p, s in hits.items()}
        return hits

    def search(self, texts: Iterable[str]) -> dict[int, float]:
        """Best strength per payout over every span of every text."""
        best: dict[int, float] = {}
        seen: set[str] = set()
        for text in texts:
            for span in spans(text):
                if len(span) < MIN_REFERENCE_CHARS or span in seen:
                    continue
                seen.add(span)
                for payout, strength in self.lookup(span).items():
                    if strength > best.get(payout, 0.0):
                        best[payout] = strength
        return best


def _truncated_strength(share: float) -> float:
    """From the floor (almost nothing kept) towards 1 (one character cut); ``share`` < 1."""
    return TRUNCATED_STRENGTH_FLOOR + (1 - TRUNCATED_STRENGTH_FLOOR) * share
