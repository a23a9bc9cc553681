"""Engine language codes as BCP 47 tags, for the ``lang`` attributes of HTML, hOCR and ALTO."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from untxt.document import Page

# Tesseract's codes (ISO 639-2, with script suffixes) and PaddleOCR's names for the
# languages untxt is most likely to read. A code missing here gets no tag rather
# than a guess: some of Tesseract's codes are no language at all (osd, equ) or a
# different one under BCP 47 (frk is Frankish, not Fraktur German).
_TAGS = {
    "ara": "ar",
    "ben": "bn",
    "bul": "bg",
    "cat": "ca",
    "ces": "cs",
    "chi_sim": "zh-Hans",
    "chi_tra": "zh-Hant",
    "dan": "da",
    "deu": "de",
    "ell": "el",
    "eng": "en",
    "est": "et",
    "fas": "fa",
    "fin": "fi",
    "fra": "fr",
    "heb": "he",
    "hin": "hi",
    "hrv": "hr",
    "hun": "hu",
    "ind": "id",
    "ita": "it",
    "jpn": "ja",
    "khm": "km",
    "kor": "ko",
    "lao": "lo",
    "lav": "lv",
    "lit": "lt",
    "msa": "ms",
    "nld": "nl",
    "nor": "no",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rus": "ru",
    "slk": "sk",
    "slv": "sl",
    "spa": "es",
    "srp": "sr",
    "swe": "sv",
    "tam": "ta",
    "tha": "th",
    "tur": "tr",
    "ukr": "uk",
    "vie": "vi",
    # PaddleOCR
    "ch": "zh-Hans",
    "chinese_cht": "zh-Hant",
    "en": "en",
    "fr": "fr",
    "german": "de",
    "japan": "ja",
    "korean": "ko",
    "vi": "vi",
}


def language_tag(code: str) -> str | None:
    """The BCP 47 tag of an engine language code, or None when it is not known."""
    return _TAGS.get(code) or _TAGS.get(code.lower())


def main_language(languages: Iterable[str]) -> str | None:
    """Tag of the first (most likely) of ``languages`` that has one."""
    for code in languages:
        tag = language_tag(code)
        if tag:
            return tag
    return None


def document_language(pages: Iterable[Page]) -> str | None:
    """Tag of the language most ``pages`` were read in (see :func:`main_language`)."""
    tags = Counter(main_language(page.languages) for page in pages)
    return tags.most_common(1)[0][0] if tags else None
