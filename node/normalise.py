"""What people cannot see, taken out before anything is matched or stored.

Text copied from web pages, WeChat or another system's export carries characters that look
like nothing (zero-width spaces, no-break spaces, byte-order marks) or like something else
(full-width digits ２０２５, full-width letters). Two spellings that a person reads as the same
must compare equal, and what is stored must be what the person meant:

- ``code``: student and staff numbers, phone numbers, ID-card numbers, amounts — NFKC, and
  every invisible or space character removed (a code has no spaces);
- ``text``: names and free text — invisible characters removed, no-break and ideographic
  spaces turned into plain spaces, runs of spaces made one, ends stripped;
- ``name_key``: the form in which two names are compared — NFKC, no spaces, and every
  separator dot of a transcribed name (``·`` ``•`` ``・`` ``.`` …) made one dot.
"""

from __future__ import annotations

import re
import unicodedata

# Dots used between the parts of a transcribed name (阿卜杜·热合曼): middle dot, bullet,
# katakana middle dot, hyphenation point, full stop, ideographic full stop, dot operators,
# Greek ano teleia, word separator middle dot. NFKC maps the full-width and half-width forms
# (． ･) to ones listed here.
NAME_DOTS = "·•・‧.。∙⋅·⸱・᛫"
NAME_DOT = "·"
_DOTS = re.compile(f"[{re.escape(NAME_DOTS)}]+")
_SPACES = re.compile(r"\s+")


def invisible(ch: str) -> bool:
    """True for a character that shows nothing: format characters (zero-width space, joiners,
    BOM, soft hyphen, bidi marks) and the Mongolian vowel separator."""
    return unicodedata.category(ch) == "Cf" or ch == "\u180e"


def text(value: str) -> str:
    """Free text or a name as it should be stored: invisible characters removed, every kind of
    space (no-break, ideographic, tab, line break) a plain space, runs of them one, ends
    stripped. Letters and punctuation are kept as written."""
    visible = "".join(ch for ch in value if not invisible(ch))
    return _SPACES.sub(" ", visible).strip()


def fold(value: str) -> str:
    """``text`` with full-width forms folded (NFKC): ２０２５－０３－０１ → 2025-03-01, spaces kept."""
    return unicodedata.normalize("NFKC", text(value))


def code(value: str) -> str:
    """A number or code (学号, 工号, 身份证号, phone, amount) as it should be stored and compared:
    NFKC (full-width ２０２５ → 2025, ｘ → x) with every space and invisible character removed."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in folded if not (ch.isspace() or invisible(ch)))


def name_key(name: str) -> str:
    """The form in which two names are compared: NFKC, case folded, no spaces or invisible
    characters, and any run of separator dots one ``·`` (王·芳, 王•芳, 王.芳 and 王 · 芳 are one key)."""
    return _DOTS.sub(NAME_DOT, code(name).casefold())


def same_name(a: str, b: str) -> bool:
    """Whether two spellings are one name once invisible characters, spaces, full-width forms
    and the kind of separator dot are set aside."""
    return name_key(a) == name_key(b)
