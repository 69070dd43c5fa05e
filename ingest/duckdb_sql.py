"""Text put into DuckDB SQL where a statement takes no bound parameter.

ATTACH and COPY ... TO take their file as a literal, not as a parameter: a
path goes in through `literal`, never pasted, so a quote in a folder name is a
character of the path and not the end of the string. Every layer that builds
such a statement uses it (ingest is the lowest layer, so it lives here).
"""

from __future__ import annotations

from pathlib import Path


def literal(value: str | Path) -> str:
    """A SQL string literal holding exactly `value`."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("a SQL string cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"
