"""Reading metric CSV files: encoding, delimiter and header detection; writing report CSVs."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DELIMITERS = ",;\t"
# Names people give the columns, mapped to ours.
ALIASES = {
    "date": "date",
    "day": "date",
    "metric": "metric",
    "value": "value",
    "amount": "value",
    "count": "value",
    "channel": "channel",
    "channel_name": "channel",
    "channel_id": "channel",
    "activation": "activation",
    "activation_id": "activation",
    "source": "source",
}
REQUIRED = ("date", "metric", "value")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


class CsvRefused(Exception):
    """The file as a whole cannot be read: say why, once, instead of per row."""


@dataclass
class CsvFile:
    text: str
    encoding: str
    delimiter: str
    columns: list[str]  # ours, in file order ("" for a column we ignore)
    ignored: list[str]

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, row) for every data row; blank lines are skipped."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader, None)
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row: dict[str, Any] = {}
            for name, value in zip(self.columns, values, strict=False):
                if name:
                    row[name] = value.strip()
            value = row.get("value", "")
            if self.delimiter != "," and DECIMAL_COMMA.match(value):
                row["value"] = value.replace(",", ".")
            yield reader.line_num, row


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with a
    BOM, else Windows-1252/Latin-1, which Excel writes on Windows."""
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvRefused("This is not a text file (a spreadsheet? Save it as CSV first).")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise CsvRefused("The file says it is UTF-8 but is not.") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CsvRefused("The file says it is UTF-16 but is not.") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def open_csv(data: bytes) -> CsvFile:
    if not data.strip():
        raise CsvRefused("The file is empty.")
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    columns: list[str] = []
    ignored: list[str] = []
    for name in header:
        key = ALIASES.get(re.sub(r"[\s-]+", "_", name.strip().lower()), "")
        if key and key in columns:
            raise CsvRefused(f"The column “{name.strip()}” appears twice.")
        columns.append(key)
        if not key and name.strip():
            ignored.append(name.strip()[:40])
    missing = [c for c in REQUIRED if c not in columns]
    if "channel" not in columns and "activation" not in columns:
        missing.append("channel (or activation)")
    if missing:
        found = ", ".join(h.strip()[:40] for h in header) or "nothing"
        raise CsvRefused(
            f"Missing column(s): {', '.join(missing)}. The first line has: {found}. "
            "Expected a header such as: date,channel,metric,value,source."
        )
    return CsvFile(text, encoding, delimiter, columns, ignored)


def write_csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        # Spreadsheet apps run cells starting with = + - @ as formulas; text is quoted safe.
        writer.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row]
        )
    return out.getvalue()
