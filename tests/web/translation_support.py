"""Reading the English catalogues and the translatable strings of the source, without
GNU gettext (the tests must not need ``xgettext``): a small ``.po`` reader, Python
``ast`` for gettext calls, Django's own ``templatize`` for templates, and Django's template
lexer for literal text that was never marked for translation."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "datasmart"

#: gettext functions as the project imports them (``_`` is ``gettext`` or ``gettext_lazy``)
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False
    line: int = 0


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text))


def read_po(path: Path) -> list[Entry]:
    """Entries of a ``.po`` file (the header entry, msgid "", left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None and current.msgid != "":
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            finish()
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}"
            name, index = target
            value = _unquote(line)
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None or current.msgstr)):
            finish()
            current = Entry(msgid="", fuzzy="fuzzy" in flags, line=number)
            flags = set()
        assert current is not None, f"{path}:{number}: {line}"
        if keyword in {"msgctxt", "msgid", "msgid_plural"}:
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
    finish()
    return entries


def po_files() -> list[Path]:
    return sorted(PACKAGE.glob("**/locale/en/LC_MESSAGES/django.po"))


def catalogue_keys() -> set[tuple[str | None, str]]:
    """(context, msgid) of every entry in every English catalogue."""
    return {(e.msgctxt, e.msgid) for path in po_files() for e in read_po(path)}


def _source_files(suffix: str) -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob(f"*{suffix}")
        if "migrations" not in p.parts and "locale" not in p.parts
    )


def python_strings() -> list[tuple[str | None, str, str]]:
    """(context, msgid, "file:line") of every gettext call with literal text in Python."""
    found: list[tuple[str | None, str, str]] = []
    for path in _source_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if name in SINGULAR | PLURAL and args and isinstance(args[0], str):
                found.append((None, args[0], where))
            elif name in CONTEXT and len(args) > 1 and isinstance(args[1], str):
                found.append((args[0] if isinstance(args[0], str) else None, args[1], where))
    return found


_STR = r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_CALL = re.compile(
    rf"\b(?:(?P<p>pgettext)\({_STR}, {_STR}\)|(?P<n>ngettext)\({_STR}, {_STR}, |"
    rf"(?P<np>npgettext)\({_STR}, {_STR}, {_STR}, |gettext\({_STR}\))"
)


def template_strings() -> list[tuple[str | None, str, str]]:
    """(context, msgid, file) of every {% translate %} / {% blocktranslate %} in the
    project's templates, as ``makemessages`` sees them (Django's ``templatize``)."""
    from django.utils.translation.template import templatize

    found: list[tuple[str | None, str, str]] = []
    for path in _source_files(".html"):
        where = str(path.relative_to(PACKAGE))
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for m in _CALL.finditer(code):
            groups = [g for g in m.groups() if g and g not in {"pgettext", "ngettext", "npgettext"}]
            strings = [_unquote(g) for g in groups]
            if m.group("p") or m.group("np"):
                found.append((strings[0], strings[1], where))
            else:
                found.append((None, strings[0], where))
    return found


#: Literal template text that is the same in both languages (language names are written in
#: their own language on purpose: the switch reads "In English" on Swedish pages).
SAME_IN_BOTH = {
    "datasmart", "CSV", "Excel", "JSON", "PDF", "API", "SIP", "FHIR", "kr", "x",
    "På svenska", "In English",
}  # fmt: skip
USER_ATTRS = {"aria-label", "title", "placeholder", "alt"}
_WORD = re.compile(r"[^\W\d_]{2,}")
_MARK = "\x01"


class _Literal(HTMLParser):
    """Text nodes and user-facing attribute values of a template whose template tags
    have been replaced by a neutral mark."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skip += 1
        for name, value in attrs:
            if name in USER_ATTRS and value:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.found.append((self.getpos()[0], data))


def untranslated_template_text() -> list[str]:
    """Literal words in templates outside {% translate %}/{% blocktranslate %}: text
    between tags and the user-facing attributes (aria-label, title, placeholder, alt).
    Template tags and variables are replaced by a neutral mark before the HTML is read;
    <script>/<style>, {% comment %} and {% verbatim %} are skipped."""
    from django.template.base import Lexer, TokenType

    problems: list[str] = []
    for path in _source_files(".html"):
        tokens = Lexer(path.read_text(encoding="utf-8")).tokenize()
        depth = 0
        skipping = False
        parts: list[str] = []
        for token in tokens:
            content = token.contents
            if token.token_type == TokenType.BLOCK:
                word = content.split()[0] if content.split() else ""
                if word in {"blocktranslate", "blocktrans"}:
                    depth += 1
                elif word in {"endblocktranslate", "endblocktrans"}:
                    depth -= 1
                elif word in {"comment", "verbatim"}:
                    skipping = True
                elif word in {"endcomment", "endverbatim"}:
                    skipping = False
                parts.append(_MARK)
            elif token.token_type == TokenType.TEXT and not depth and not skipping:
                parts.append(content)
            elif token.token_type == TokenType.TEXT:
                parts.append(_MARK + "\n" * content.count("\n"))
            else:
                parts.append(_MARK)
        parser = _Literal()
        parser.feed("".join(parts))
        parser.close()
        for line, text in parser.found:
            words = [w for w in _WORD.findall(text.replace(_MARK, " ")) if w not in SAME_IN_BOTH]
            cleaned = " ".join(text.replace(_MARK, " ").split())
            if words and cleaned not in SAME_IN_BOTH:
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {cleaned[:80]!r}")
    return problems
