"""Text features: the analyzer TF-IDF runs on, and how its features are shown to people.

A document is a pair ``(words, text)``: the caller's index terms (jieba words, lower-cased, in
text order) and the normalised raw text. The analyzer emits

- every word as itself;
- ``syn:<group>`` wherever 1–4 consecutive words spell a term of a synonym group, so "SEM" in a
  profile meets 扫描电子显微镜 in a listing;
- ``#`` + character 2- and 3-grams of each run of Chinese characters in the text (and 3-grams of
  long Latin words), which catch compounds jieba cut differently on the two sides.

``part("terms")`` / ``part("grams")`` emit one kind only (they hash into separate column
ranges, so grams can be weighted down). Only the first two kinds are ever shown to a person: a word displays as itself, a synonym token as
the words of the party's text that triggered it (or the group's first term); ``#`` grams never.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence

MAX_TERM_WORDS = 4
SYNONYM_PREFIX = "syn:"
GRAM_PREFIX = "#"
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_ASCII_WORD = re.compile(r"^[a-z0-9]")


def surface(tokens: Sequence[str]) -> str:
    """The tokens as a person writes them: Chinese joined directly, Latin words by a space."""
    if len(tokens) > 1:  # jieba's search mode: sub-words before the word (液相, 相色谱, 液相色谱)
        longest = max(tokens, key=len)
        if all(token in longest for token in tokens):
            return longest
    out = ""
    for token in tokens:
        if out and _ASCII_WORD.match(token) and out[-1].isascii() and out[-1].isalnum():
            out += " "
        out += token
    return out


def _as_written(term: str, text: str | None, lowered: str | None) -> str:
    at = lowered.find(term) if lowered else -1
    return text[at:at + len(term)] if at >= 0 else term


class Analyzer:
    """A picklable ``analyzer=`` for scikit-learn's text vectorizers (HashingVectorizer here)."""

    def __init__(self, synonyms: Iterable[Iterable[Sequence[str]]] = ()):
        groups = []
        for group in synonyms:
            terms = tuple(dict.fromkeys(
                tuple(t.lower() for t in term) for term in group
                if 0 < len(term) <= MAX_TERM_WORDS
            ))
            if terms:
                groups.append(terms)
        self.groups: tuple[tuple[tuple[str, ...], ...], ...] = tuple(groups)
        self._part = "all"
        self._parts: dict[str, Analyzer] = {}
        self._terms: dict[tuple[str, ...], int] = {}
        for number, group in enumerate(self.groups):
            for term in group:
                self._terms.setdefault(term, number)

    def __call__(self, document: tuple[Sequence[str], str]) -> list[str]:
        words, text = document
        tokens = []
        if self._part != "grams":
            tokens.extend(words)
            tokens.extend(f"{SYNONYM_PREFIX}{group}" for group in self.synonym_matches(words))
        if self._part != "terms":
            tokens.extend(self.grams(text))
        return tokens

    def part(self, part: str) -> Analyzer:
        """This analyzer emitting only "terms" (words and synonym groups) or only "grams"."""
        if part not in ("terms", "grams"):
            raise ValueError(part)
        view = self._parts.get(part)
        if view is None:
            view = copy.copy(self)
            view._part, view._parts = part, {}
            self._parts[part] = view
        return view

    def synonym_matches(self, words: Sequence[str], text: str | None = None) -> dict[int, str]:
        """Group number → the words that first named it in ``words`` (cased as in ``text``)."""
        found: dict[int, str] = {}
        if not self._terms:
            return found
        words = [w.lower() for w in words]
        lowered = text.lower() if text and len(text.lower()) == len(text) else None
        for start in range(len(words)):
            for length in range(1, MAX_TERM_WORDS + 1):
                key = tuple(words[start:start + length])
                if len(key) < length:
                    break
                group = self._terms.get(key)
                if group is not None and group not in found:
                    found[group] = _as_written(surface(key), text, lowered)
        return found

    @staticmethod
    def grams(text: str) -> list[str]:
        out: list[str] = []
        text = (text or "").lower()
        for run in _CJK_RUN.findall(text):
            out += [GRAM_PREFIX + run[i:i + 2] for i in range(len(run) - 1)]
            out += [GRAM_PREFIX + run[i:i + 3] for i in range(len(run) - 2)]
        for word in _LATIN_WORD.findall(text):
            if len(word) >= 5:
                out += [GRAM_PREFIX + word[i:i + 3] for i in range(len(word) - 2)]
        return out

    def display(self, feature: str, triggers: dict[int, str] | None = None) -> str | None:
        """How a TF-IDF feature is shown to a person, or None for one that never is."""
        if feature.startswith(GRAM_PREFIX):
            return None
        if feature.startswith(SYNONYM_PREFIX):
            group = int(feature[len(SYNONYM_PREFIX):])
            if triggers and group in triggers:
                return triggers[group]
            return surface(self.groups[group][0]) if group < len(self.groups) else None
        return feature
