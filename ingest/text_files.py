"""Reading landed text files (CSV and NDJSON) exactly as SPEC §2 describes.

UTF-8 with an optional BOM; RFC 4180 CSV with a header row whose names match
case-insensitively after trimming; blank lines skipped and not counted. Values
are returned untrimmed so rejects keep their raw text; trimming happens once,
in the validation SQL.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple


class UnreadableFile(Exception):
    """The whole file cannot be read; the message is the reject reason."""


class TextRow(NamedTuple):
    """A tuple, not a dataclass: a day's files are hundreds of thousands of rows."""

    row_number: int  # 1-based among the non-blank data rows
    values: tuple[str | None, ...]  # raw values in the order of the columns asked for; all None if malformed
    malformed: bool
    raw_record: str | None  # the raw row, kept only for malformed rows


def normalise_header(name: str) -> str:
    return name.strip().lower()


def _is_blank(fields: list[str]) -> bool:
    return len(fields) == 0 or (len(fields) == 1 and fields[0].strip() == "")


def _column_index(header: list[str], wanted: tuple[str, ...]) -> dict[str, int]:
    names = [normalise_header(h) for h in header]
    duplicated = sorted({n for n in names if n in wanted and names.count(n) > 1})
    if duplicated:
        raise UnreadableFile(f"duplicate_columns: {', '.join(duplicated)}")
    return {name: i for i, name in enumerate(names) if name in wanted}


def _picker(index: dict[str, int], columns: tuple[str, ...]):
    """fields -> the values of `columns` in order; None for a column the header lacks."""
    positions = [index.get(c) for c in columns]
    if None in positions or len(positions) == 1:
        return lambda fields: tuple(None if i is None else fields[i] for i in positions)
    return itemgetter(*positions)  # the common case, in C


def read_csv_rows(
    path: Path, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[TextRow]:
    """Yield the data rows of a CSV file, mapped to the wanted columns.

    Raises UnreadableFile before the first row when the file has no header or
    lacks a required column, or while reading if it is not valid UTF-8.
    """
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=False)
            header = next((row for row in reader if not _is_blank(row)), None)
            if header is None:
                raise UnreadableFile("no_header")
            index = _column_index(header, columns)
            missing = [c for c in required if c not in index]
            if missing:
                raise UnreadableFile(f"missing_columns: {', '.join(missing)}")
            pick, width, nothing = _picker(index, columns), len(header), (None,) * len(columns)
            row_number = 0
            for fields in reader:
                if _is_blank(fields):
                    continue
                row_number += 1
                if len(fields) != width:
                    yield TextRow(row_number, nothing, True, ",".join(fields))
                    continue
                yield TextRow(row_number, pick(fields), False, None)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not_utf8: byte {exc.start}") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"unparseable_csv: {exc}") from exc


def _json_text(value: object) -> str | None:
    """A JSON value as the text it was written with (numbers keep their literal)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


# One decoder for every line: json.loads with these options builds a new one per call.
_LITERAL_NUMBERS = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)


def read_ndjson_rows(path: Path, columns: tuple[str, ...]) -> Iterator[TextRow]:
    """Yield one row per non-blank line; a line that is not a JSON object is malformed.

    Numbers are parsed to their literal text, never to float, so a quantity
    such as 0.1234567 keeps every digit until the exact decimal cast.
    """
    try:
        nothing = (None,) * len(columns)
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            row_number = 0
            for line in handle:
                if line.strip() == "":
                    continue
                row_number += 1
                try:
                    obj = _LITERAL_NUMBERS.decode(line)
                except json.JSONDecodeError:
                    obj = None
                if not isinstance(obj, dict):
                    yield TextRow(row_number, nothing, True, line.rstrip("\r\n"))
                    continue
                by_name = {normalise_header(k): v for k, v in obj.items()}
                yield TextRow(row_number, tuple(_json_text(by_name.get(c)) for c in columns), False, None)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not_utf8: byte {exc.start}") from exc
