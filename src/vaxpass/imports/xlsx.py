"""A streaming reader of the first sheet of an .xlsx file: rows in bounded memory, at the
speed of a few regular expressions per row.

python-calamine holds the whole sheet in memory (1.2 GB for a million rows of the
template) and openpyxl's read-only mode streams but builds an object per cell (9,000 rows
a second). The sheet's XML is regular enough to read with regular expressions over
decompressed blocks: a row is cut at `</row>`, its cells found with one pattern, values
typed as calamine types them (numbers as floats; numbers in a date format as dates,
datetimes, times or durations; booleans; strings shared, inline or from formulas; errors
as their text). Shared strings are held in memory: they are the distinct texts only.

No Django here.
"""

import codecs
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import PurePosixPath
from xml.etree import ElementTree

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_BLOCK = 1 << 22  # decompressed characters per block
_ENTITY = re.compile(r"&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class XlsxError(ValueError):
    pass


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def replace(match: re.Match) -> str:
        decimal, hexadecimal, name = match.groups()
        if name:
            return _NAMED[name]
        return chr(int(decimal) if decimal else int(hexadecimal, 16))

    return _ENTITY.sub(replace, text)


# --- number formats: which numbers are dates (after calamine's rules) ------------------

_BUILTIN_DATES = frozenset([*range(14, 23), 45, 47])
_BUILTIN_DURATIONS = frozenset([46])


def number_format_kind(code: str) -> str:
    """ "date", "duration" or "" for a custom number format code: a date if, outside quotes,
    escapes and brackets, its first section has a date or time letter (or "a/p", "am/pm");
    a duration if it holds [h], [m] or [s]."""
    escaped = quoted = after_a = elapsed = False
    brackets = 0
    previous = " "
    for char in code:
        if escaped:
            escaped = False
        elif char in "_\\":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == ";":
            return ""
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets == 1 and elapsed:
            return "duration"
        elif char == "]":
            brackets = max(0, brackets - 1)
        elif brackets == 0 and after_a and char in "pm/PM":
            return "date"
        elif brackets == 0 and char in "aA" and not after_a:
            after_a = True
        elif brackets == 0 and not after_a and char in "dmhysDMHYS":
            return "date"
        elif not (elapsed and char.lower() == previous.lower()):
            elapsed = previous == "[" and char in "mhsMHS"
        previous = char
    return ""


def _excel_time(value: float, kind: str, epoch_1904: bool):
    """A date-formatted number as calamine gives it to Python."""
    if kind == "duration":
        return timedelta(days=value)
    if value < 1:  # a time of day alone
        seconds = round((value % 1) * 86_400_000) // 1000
        seconds = min(seconds, 86_399)
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    if epoch_1904:
        epoch = datetime(1904, 1, 1)
    else:  # 1900 system, with Lotus's 29 February 1900 (serial 60)
        epoch = datetime(1899, 12, 30) if value >= 61 else datetime(1899, 12, 31)
    milliseconds = round(value * 86_400_000)
    days, rest = divmod(milliseconds, 86_400_000)
    try:
        moment = epoch + timedelta(days=days, milliseconds=rest)
    except OverflowError:
        return value
    return moment.date() if rest == 0 else moment


# --- the workbook's parts ----------------------------------------------------------


def _find(root: ElementTree.Element, path: str) -> list[ElementTree.Element]:
    found = root.findall(path.replace("x:", f"{{{_MAIN}}}"))
    return found or root.findall(path.replace("x:", f"{{{_STRICT}}}"))


def _rels(book: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of a part."""
    where = PurePosixPath(part)
    name = str(where.parent / "_rels" / f"{where.name}.rels")
    if name not in book.namelist():
        return {}
    result = {}
    for rel in ElementTree.fromstring(book.read(name)).iter(f"{{{_RELS}}}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        else:
            target = str(PurePosixPath(where.parent, target))
        parts = []
        for piece in target.split("/"):  # resolve ".." in relative targets
            if piece == "..":
                parts.pop() if parts else None
            elif piece not in ("", "."):
                parts.append(piece)
        result[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], "/".join(parts))
    return result


class _Book:
    def __init__(self, book: zipfile.ZipFile):
        self.zip = book
        workbook = "xl/workbook.xml"
        if workbook not in book.namelist():
            raise XlsxError("no workbook part")
        root = ElementTree.fromstring(book.read(workbook))
        rels = _rels(book, workbook)
        sheets = _find(root, "x:sheets/x:sheet")
        if not sheets:
            raise XlsxError("no sheet")
        rid = next((v for k, v in sheets[0].attrib.items() if k.endswith("}id")), "")
        if rid not in rels:
            raise XlsxError("the first sheet has no part")
        self.sheet = rels[rid][1]
        properties = _find(root, "x:workbookPr")
        self.epoch_1904 = bool(properties) and properties[0].get("date1904") in ("1", "true")
        by_type = {kind: target for kind, target in rels.values()}
        self.strings = self._shared_strings(by_type.get("sharedStrings"))
        self.date_styles = self._date_styles(by_type.get("styles"))

    def _shared_strings(self, part: str | None) -> list[str]:
        if not part or part not in self.zip.namelist():
            return []
        strings: list[str] = []
        for _prefix, _attributes, body in _elements(self.zip, part, "si"):
            strings.append(_text_of(body))
        return strings

    def _date_styles(self, part: str | None) -> dict[int, str]:
        """Cell style index -> "date" or "duration", for styles with such a number format."""
        if not part or part not in self.zip.namelist():
            return {}
        root = ElementTree.fromstring(self.zip.read(part))
        custom = {
            int(f.get("numFmtId", "-1")): number_format_kind(f.get("formatCode", ""))
            for f in _find(root, "x:numFmts/x:numFmt")
        }
        kinds = {}
        for index, xf in enumerate(_find(root, "x:cellXfs/x:xf")):
            number = int(xf.get("numFmtId", "0"))
            if number in custom:
                kind = custom[number]
            elif number in _BUILTIN_DATES:
                kind = "date"
            elif number in _BUILTIN_DURATIONS:
                kind = "duration"
            else:
                kind = ""
            if kind:
                kinds[index] = kind
        return kinds


def _blocks(book: zipfile.ZipFile, part: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with book.open(part) as stream:
        while data := stream.read(_BLOCK):
            yield decoder.decode(data)
    yield decoder.decode(b"", final=True)


def _elements(book: zipfile.ZipFile, part: str, name: str) -> Iterator[tuple[str, str, str]]:
    """(namespace prefix, attributes, body) of each `name` element of a part, streaming;
    self-closing ones have the body "". Elements of this name do not nest here. Cut with
    str.find, much faster than a pattern over hundreds of characters per row."""
    buffer = ""
    prefix = opening = closing = None
    for block in _blocks(book, part):
        buffer += block
        if prefix is None:
            root = re.search(r"<(?:([A-Za-z_][\w.-]*):)?(?:worksheet|sst)\b", buffer)
            if root is None:
                if len(buffer) > 1 << 16:
                    raise XlsxError(f"{part}: not a sheet")
                continue
            prefix = f"{root[1]}:" if root[1] else ""
            opening, closing = f"<{prefix}{name}", f"</{prefix}{name}>"
        position = 0
        while True:
            start = buffer.find(opening, position)
            if start < 0:
                position = max(position, len(buffer) - len(opening))
                break
            follows = start + len(opening)
            if follows == len(buffer):
                position = start
                break
            if buffer[follows] not in " \t\r\n/>":  # a longer name: <rowBreaks>
                position = follows
                continue
            head_end = buffer.find(">", follows)
            if head_end < 0:
                position = start
                break
            if buffer[head_end - 1] == "/":
                yield prefix, buffer[follows : head_end - 1], ""
                position = head_end + 1
                continue
            end = buffer.find(closing, head_end)
            if end < 0:
                position = start
                break
            yield prefix, buffer[follows:head_end], buffer[head_end + 1 : end]
            position = end + len(closing)
        buffer = buffer[position:]
        if len(buffer) > 1 << 26:
            raise XlsxError(f"{part}: an element longer than 64 MB")


_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>|<(?:\w+:)?t(?:\s[^>]*)?/>", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


def _text_of(body: str) -> str:
    """The text of a shared or inline string: its runs joined, phonetic guides left out."""
    if "rPh" in body:
        body = _PHONETIC.sub("", body)
    return _unescape("".join(t or "" for t in _TEXT.findall(body)))


# --- cells ---------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(r"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)


def _column(reference: str) -> int:
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


class _Cells:
    """Typed values of the cells of one row body. Most cells start `<c r="B7"`: for them
    one pattern gives the column and the other attributes, whose meaning is cached."""

    def __init__(self, book: _Book, prefix: str):
        self.strings = book.strings
        self.date_styles = book.date_styles
        self.epoch_1904 = book.epoch_1904
        tag = re.escape(prefix + "c")
        # column letters, other attributes, then: an inline string's text, a value's
        # text, or anything else (formulas, rich text)
        self.fast = re.compile(
            rf'<{tag} r="([A-Z]+)\d*"([^>/]*)(?:/>|>(?:<{prefix}is><{prefix}t>([^<]*)'
            rf"</{prefix}t></{prefix}is>|<{prefix}v>([^<]*)</{prefix}v>|(.*?))</{tag}>)",
            re.S,
        )
        self.any = re.compile(rf"<{tag}(\s[^>]*?)?(?:/>|>(.*?)</{tag}>)", re.S)
        self.starts = (f"<{prefix}c ", f"<{prefix}c>")
        self.columns: dict[str, int] = {}
        self.kinds: dict[str, tuple[str, str]] = {}  # other attributes -> type, date style

    def row(self, body: str) -> list:
        cells = self.fast.findall(body)
        if len(cells) != body.count(self.starts[0]) + body.count(self.starts[1]):
            return self._row_slowly(body)
        values: list = []
        columns, kinds = self.columns, self.kinds
        for letters, attributes, inline, text, other in cells:
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _column(letters)
            kind = kinds.get(attributes)
            if kind is None:
                kind = kinds[attributes] = self._kind(dict(_ATTRIBUTE.findall(attributes)))
            if other:
                value = self._value(*kind, other)
            elif kind[0] == "inlineStr":
                value = _unescape(inline) if "&" in inline else inline
            elif kind[0] == "s" and text:
                value = self.strings[int(text)]
            elif text or inline:
                value = self._typed(kind[0], kind[1], text)
            else:
                value = ""
            if column == len(values):
                values.append(value)
            else:
                self._put(values, column, value)
        return values

    def _row_slowly(self, body: str) -> list:
        values: list = []
        for attributes, content in self.any.findall(body):
            found = dict(_ATTRIBUTE.findall(attributes))
            column = _column(found["r"]) if "r" in found else len(values)
            self._put(values, column, self._value(*self._kind(found), content))
        return values

    @staticmethod
    def _put(values: list, column: int, value) -> None:
        if column < len(values):  # a cell given twice, or out of order: the last counts
            values[column] = value
            return
        while len(values) < column:
            values.append("")
        values.append(value)

    def _kind(self, attributes: dict[str, str]) -> tuple[str, str]:
        style = attributes.get("s", "0")
        return attributes.get("t", "n"), self.date_styles.get(int(style or 0), "")

    def _value(self, kind: str, style: str, content: str):
        """A cell's value from its content in any form (formula, rich text...)."""
        if kind == "inlineStr":
            return _text_of(content)
        value = _VALUE.search(content)
        text = value[1] if value else ""
        if kind == "s":
            return self.strings[int(text)] if text else ""
        return self._typed(kind, style, text) if text else ""

    def _typed(self, kind: str, style: str, text: str):
        if kind == "n":
            number = float(text)
            return _excel_time(number, style, self.epoch_1904) if style else number
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                return _unescape(text)
        if kind == "s":
            return self.strings[int(text)]
        return _unescape(text)  # "str" (a formula's text), "e" (an error: its text)


_ROW_NUMBER = re.compile(r'\br="(\d+)"')


def read_rows(path) -> Iterator[tuple[int, list]]:
    """(row number, values) of every row element of the first sheet, in order; values
    from column A, "" for a missing cell."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise XlsxError(str(error)) from None
    with book:
        try:
            parts = _Book(book)
        except (ElementTree.ParseError, KeyError, ValueError) as error:
            raise XlsxError(str(error)) from None
        if parts.sheet not in book.namelist():
            raise XlsxError("the first sheet's part is missing")
        width = _declared_width(book, parts.sheet)
        cells = None
        number = 0
        for prefix, attributes, body in _elements(book, parts.sheet, "row"):
            if cells is None:
                cells = _Cells(parts, prefix)
            found = _ROW_NUMBER.search(attributes)
            number = int(found[1]) if found else number + 1
            row = cells.row(body) if body else []
            if len(row) < width:  # every row as wide as the sheet, as calamine gives them
                row += [""] * (width - len(row))
            elif row and not width:
                width = len(row)  # no declared size: the first row with a value (the header)
            yield number, row


def _declared_width(book: zipfile.ZipFile, part: str) -> int:
    """The number of columns the sheet declares (`<dimension ref="A1:L900">`), or 0."""
    with book.open(part) as stream:
        head = stream.read(1 << 16).decode("utf-8", errors="ignore")
    found = re.search(r'<(?:\w+:)?dimension\s+ref="[A-Z]+\d*(?::([A-Z]+)\d*)?"', head)
    return _column(found[1]) + 1 if found and found[1] else 0
