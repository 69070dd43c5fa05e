"""Ingest landing dates of usage: every row accepted or rejected with a reason.

Files are read into a batch table of text (CSV and NDJSON through Python's
parsers in chunks, Parquet directly by DuckDB, which also keeps a Parquet
quantity or timestamp as its value where that is exact), then one SQL pass
assigns each row the first reject reason that applies, in SPEC §3's order, up to
duplicate_event, which a second pass gives to later copies among the rows left.
The rows of the dates in the batch are replaced in a single transaction, so a
partition is never half-written and re-running it never touches another
partition.

Several landing dates go through one pass only when none of them has been
ingested before: that gives exactly what ingesting them one at a time in date
order gives (a copy in an earlier date, or earlier in the same date by file
then row, is the accepted one), with one probe of the history and one commit
instead of one per date. A date ingested before is always re-read alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.schema import ID_PATTERN, USAGE_COLUMNS, ensure_raw_schema
from ingest.text_files import TextRow, UnreadableFile, normalise_header, read_csv_rows, read_ndjson_rows

REJECT_REASONS = (
    "malformed_row",
    "missing_field",
    "bad_quantity",
    "bad_timestamp",
    "future_timestamp",
    "before_billing_start",
    "unknown_tenant",
    "unknown_metric",
    "duplicate_event",
)
MAX_QUANTITY = "1000000000000"
CHUNK_ROWS = 100_000
# Landing files per ingest pass, on disk: ~2.5M Parquet events, whose text batch stays near 1.5 GB.
BATCH_BYTES = 64 * 2**20

_BATCH_SCHEMA = pa.schema(
    [
        ("landing_date", pa.date32()),
        ("source_file", pa.string()),
        ("row_number", pa.int64()),
        ("malformed", pa.bool_()),
        ("raw_record", pa.string()),
        *[(c, pa.string()) for c in USAGE_COLUMNS],
        # A Parquet value, so its text need not be trimmed and parsed back; null for text files.
        ("quantity_value", pa.decimal128(38, 6)),
        ("occurred_value", pa.timestamp("us")),
    ]
)

_TIMESTAMP_PATTERN = (
    r"^(?P<d>\d{4}-\d{2}-\d{2})[T ](?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)"
    r"(?::(?P<s>[0-5]\d)(?P<f>\.\d+)?)?(?P<tz>Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$"
)
_QUANTITY_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


@dataclass
class PartitionResult:
    landing_date: date
    files_read: int = 0
    rejected_files: list[tuple[str, str]] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejects_by_reason.values())


def usage_folder(landing_dir: Path, landing_date: date) -> Path:
    return landing_dir / "usage" / landing_date.isoformat()


def landed_dates(landing_dir: Path) -> list[date]:
    """Landing dates with a usage folder, ignoring anything not named YYYY-MM-DD."""
    root = landing_dir / "usage"
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if child.is_dir():
            try:
                found.append(date.fromisoformat(child.name))
            except ValueError:
                continue
    return sorted(found)


def _chunks(rows: Iterable[TextRow], landing_date: date, source_file: str) -> Iterator[pa.Table]:
    """Rows as batch tables of up to CHUNK_ROWS, built column by column (zip transposes in C)."""
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        numbers, values, malformed, raw_records = zip(*chunk)
        n = len(chunk)
        yield pa.table(
            [
                pa.array([landing_date] * n, pa.date32()),
                pa.array([source_file] * n, pa.string()),
                pa.array(numbers, pa.int64()),
                pa.array(malformed, pa.bool_()),
                pa.array(raw_records, pa.string()),
                *(pa.array(column, pa.string()) for column in zip(*values)),
                pa.nulls(n, pa.decimal128(38, 6)),
                pa.nulls(n, pa.timestamp("us")),
            ],
            schema=_BATCH_SCHEMA,
        )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _parquet_as_text(column: str, duck_type: str) -> str:
    """A Parquet column as the text SPEC §2 says it stands for."""
    col = _quote(column)
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        return f"strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%S.%fZ')"
    if duck_type.startswith("TIMESTAMP"):
        return f"strftime({col}::timestamp, '%Y-%m-%dT%H:%M:%S.%f')"
    # DOUBLE casts to its shortest round-trip repr; DECIMAL to its exact digits.
    return f"{col}::varchar"


_EXACT_QUANTITY_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def _parquet_quantity_value(column: str, duck_type: str) -> str:
    """The value its text stands for, where decimal(38, 6) holds it exactly (no rounding)."""
    scale = re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", duck_type)
    if duck_type in _EXACT_QUANTITY_TYPES or (scale and int(scale.group(1)) <= 6):
        return f"try_cast({_quote(column)} as decimal(38, 6))"
    return "null"


def _parquet_timestamp_value(column: str, duck_type: str) -> str:
    """The UTC value its text stands for, when the text's four-digit year can be trusted to parse back."""
    col = _quote(column)
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        value = f"timezone('UTC', {col})"
    elif duck_type.startswith("TIMESTAMP"):
        value = f"{col}::timestamp"
    else:
        return "null"
    return f"case when year({value}) between 1000 and 9999 then {value} end"


@dataclass(frozen=True)
class _LandedFile:
    path: Path
    landing_date: date
    source_file: str


def _parquet_select(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The batch columns from the file's own columns, which depend on their names and types."""
    try:
        described = con.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))",
            [str(path)],
        ).fetchall()
    except duckdb.Error as exc:
        raise _unreadable_parquet(exc) from exc
    by_name: dict[str, tuple[str, str]] = {}
    for name, duck_type in described:
        key = normalise_header(name)
        if key in USAGE_COLUMNS and key in by_name:
            raise UnreadableFile(f"duplicate_columns: {key}")
        by_name[key] = (name, duck_type)
    missing = [c for c in USAGE_COLUMNS if c not in by_name]
    if missing:
        raise UnreadableFile(f"missing_columns: {', '.join(missing)}")
    values = [
        *(_parquet_as_text(*by_name[c]) for c in USAGE_COLUMNS),
        _parquet_quantity_value(*by_name["quantity"]),
        _parquet_timestamp_value(*by_name["occurred_at"]),
    ]
    return ", ".join(f"{value} as v{i}" for i, value in enumerate(values))


def _load_parquet_files(con: duckdb.DuckDBPyConnection, files: list[_LandedFile], select: str) -> None:
    """Parquet files read alike, in one statement: one each cost ~20 ms, most of a small file's ingest."""
    con.execute("create or replace temp table _files (path varchar, landing_date date, source_file varchar)")
    con.executemany("insert into _files values (?, ?, ?)",
                    [[str(f.path), f.landing_date, f.source_file] for f in files])
    con.execute(
        f"""insert into _batch
            select f.landing_date, f.source_file, p.file_row_number + 1, false, null,
                   p.* exclude (file_row_number, filename)
            from (select file_row_number, filename, {select}
                  from read_parquet($paths, filename = true, file_row_number = true)) p
            join _files f on f.path = p.filename""",
        {"paths": [str(f.path) for f in files]},
    )


def _unreadable_parquet(exc: duckdb.Error) -> UnreadableFile:
    return UnreadableFile(f"unreadable_parquet: {str(exc).splitlines()[0]}")


def _text_chunks(path: Path, landing_date: date, source_file: str) -> Iterator[pa.Table]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = read_csv_rows(path, USAGE_COLUMNS, USAGE_COLUMNS)
    elif suffix == ".ndjson":
        rows = read_ndjson_rows(path, USAGE_COLUMNS)
    else:
        raise UnreadableFile("unsupported_file_type: expected .csv, .ndjson or .parquet")
    return _chunks(rows, landing_date, source_file)


class _TextRows:
    """Text files' chunks into _batch, several small files per insert: one insert each cost ~3 ms."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.pending, self.rows = con, [], 0

    def add(self, chunk: pa.Table) -> None:
        self.pending.append(chunk)
        self.rows += chunk.num_rows
        if self.rows >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.con.register("_chunk", pa.concat_tables(self.pending))
            self.con.execute("insert into _batch select * from _chunk")
            self.con.unregister("_chunk")
            self.pending, self.rows = [], 0


def _load_files(con: duckdb.DuckDBPyConnection, landing_dir: Path, results: dict[date, PartitionResult]) -> None:
    """Every file of the dates into _batch; a file that cannot be read is recorded, its rows left out.

    Parquet files with the same columns and types are read together; if that
    fails, each is read alone so that only the unreadable one is rejected.
    """
    text = _TextRows(con)

    def reject(file: _LandedFile, exc: UnreadableFile) -> None:
        # Pending rows go in first, so the delete takes every row of the file whatever the chunk sizes.
        text.flush()
        con.execute("delete from _batch where source_file = ?", [file.source_file])
        results[file.landing_date].rejected_files.append((file.source_file, str(exc)))

    parquet: dict[str, list[_LandedFile]] = {}
    for landing_date, result in results.items():
        for path in _landed_files(landing_dir, landing_date):
            file = _LandedFile(path, landing_date, path.relative_to(landing_dir).as_posix())
            result.files_read += 1
            try:
                if path.suffix.lower() == ".parquet":
                    parquet.setdefault(_parquet_select(con, path), []).append(file)
                else:
                    for chunk in _text_chunks(path, landing_date, file.source_file):
                        text.add(chunk)
            except UnreadableFile as exc:
                reject(file, exc)
    text.flush()
    for select, files in parquet.items():
        try:
            _load_parquet_files(con, files, select)
        except duckdb.Error:
            for file in files:
                try:
                    _load_parquet_files(con, [file], select)
                except duckdb.Error as exc:
                    reject(file, _unreadable_parquet(exc))


_SPACES = " || ".join(("chr(32)", "chr(9)", "chr(10)", "chr(13)"))


def _trimmed(column: str) -> str:
    # Trimming with a character set is slow in DuckDB and most values need none. Space, tab,
    # CR and LF all sort before '!', so a value needs trimming only if one of its ends does:
    # two plain comparisons instead of testing each end against each character (3x faster).
    return (
        f"nullif(case when {column} < '!' or right({column}, 1) < '!' "
        f"then trim({column}, {_SPACES}) else {column} end, '')"
    )


# Every reason but duplicate_event, which needs the rows that pass these (see _DUPLICATES_SQL).
_EARLY_REASONS_SQL = f"""
create or replace temp table _checked as
with cleaned as (
    select
        b.*,
        {_trimmed('event_id')} as eid,
        {_trimmed('tenant_id')} as tid,
        {_trimmed('metric')} as met,
        -- The text of a Parquet value needs no trimming.
        case when b.quantity_value is null then {_trimmed('quantity')} else quantity end as qty,
        case when b.occurred_value is null then {_trimmed('occurred_at')} else occurred_at end as ts
    from _batch b
),
parsed as (
    select
        c.* exclude (quantity_value),
        case when c.occurred_value is null
            then regexp_extract(c.ts, '{_TIMESTAMP_PATTERN}', ['d', 'h', 'mi', 's', 'f', 'tz'])
        end as tsp,
        c.quantity_value is not null as quantity_typed,
        coalesce(c.quantity_value, try_cast(c.qty as decimal(38, 6))) as quantity_value
    from cleaned c
),
timed as (
    select
        p.*,
        case when p.occurred_value is not null then p.occurred_value
        when regexp_full_match(p.ts, '{_TIMESTAMP_PATTERN}') then
            try_cast(
                tsp.d || ' ' || tsp.h || ':' || tsp.mi || ':'
                || coalesce(nullif(tsp.s, ''), '00') || left(tsp.f, 7)
                as timestamp
            )
            - to_minutes(
                case when tsp.tz in ('', 'Z') then 0
                     else (case when left(tsp.tz, 1) = '-' then -1 else 1 end)
                          * (cast(substr(tsp.tz, 2, 2) as integer) * 60
                             + cast(right(tsp.tz, 2) as integer))
                end
            )
        end as occurred_utc
    from parsed p
)
select
    t.landing_date, t.source_file, t.row_number, t.eid, hash(t.eid) as event_hash, t.tid, t.met,
    t.quantity_value, t.occurred_utc, cast(t.occurred_utc as date) as usage_date,
    case
        when t.malformed or (t.eid is not null and not regexp_full_match(t.eid, '{ID_PATTERN}'))
            then 'malformed_row'
        when t.eid is null or t.tid is null or t.met is null or t.qty is null or t.ts is null
            then 'missing_field'
        when t.quantity_value is null
             or t.quantity_value > {MAX_QUANTITY}
             or (t.quantity_typed and t.quantity_value < 0)
             or (not t.quantity_typed and (not regexp_full_match(t.qty, '{_QUANTITY_PATTERN}')
                                           or regexp_matches(t.qty, '^-[0.]*[1-9]')))
            then 'bad_quantity'
        when t.occurred_utc is null then 'bad_timestamp'
        when cast(t.occurred_utc as date) > t.landing_date then 'future_timestamp'
        when $billing_start::date is not null and cast(t.occurred_utc as date) < $billing_start::date
            then 'before_billing_start'
        when t.tid not in (select tenant_id from raw.tenants where tenant_id is not null)
            then 'unknown_tenant'
        when t.met not in (select unnest($metrics::varchar[])) then 'unknown_metric'
    end as reason,
    cast(null as boolean) as payload_differs
from timed t
"""

# Only the rows whose event_hash repeats in the batch or is found in the history are
# ranked and compared: grouping 8-byte hashes costs a third of grouping the ids, and a
# window over every row would cost a sort of the batch. Equal ids have equal hashes, so
# every copy of a repeated id is among them; a hash collision only adds rows to rank.
_DUPLICATES_SQL = """
create or replace temp table _duplicates as
with
-- The history is probed on the integer event_hash column alone, and only its hits are
-- read in full (by rowid): scanning every column of the history cost more than the probe.
hash_hits as materialized (
    select e.event_id, e.event_hash, e.tenant_id, e.metric, e.quantity, e.occurred_at
    from raw.usage_events e
    where e.rowid in (
        select h.rowid from raw.usage_events h
        where h.event_hash in (select event_hash from _checked where reason is null)
    )
      and not list_contains($landing_dates::date[], e.landing_date)
),
suspects as (
    select c.* from _checked c
    where c.reason is null
      and (c.event_hash in (select event_hash from _checked where reason is null
                            group by event_hash having count(*) > 1)
           or c.event_hash in (select event_hash from hash_hits))
),
ranked as (
    select
        s.source_file,
        s.row_number,
        s.eid,
        struct_pack(tid := s.tid, met := s.met, q := s.quantity_value, at := s.occurred_utc) as payload,
        row_number() over copies as copy_rank,
        first_value(struct_pack(tid := s.tid, met := s.met, q := s.quantity_value, at := s.occurred_utc))
            over copies as first_copy
    from suspects s
    window copies as (partition by s.eid order by s.landing_date, s.source_file, s.row_number)
),
earlier as (
    select h.event_id, any_value(struct_pack(
        tid := h.tenant_id, met := h.metric, q := h.quantity, at := h.occurred_at)) as accepted
    from hash_hits h
    group by h.event_id
)
select
    r.source_file,
    r.row_number,
    case when x.event_id is not null then r.payload is distinct from x.accepted
         else r.payload is distinct from r.first_copy
    end as payload_differs
from ranked r
left join earlier x on x.event_id = r.eid
where x.event_id is not null or r.copy_rank > 1
"""

_MARK_DUPLICATES_SQL = """
update _checked set reason = 'duplicate_event', payload_differs = d.payload_differs
from _duplicates d
where _checked.source_file = d.source_file and _checked.row_number = d.row_number
"""

_DELETE_STATEMENTS = tuple(
    f"delete from raw.{table} where list_contains($landing_dates::date[], landing_date)"
    for table in ("usage_events", "usage_rejects", "rejected_files", "usage_partitions")
)
_INSERT_STATEMENTS = (
    """insert into raw.usage_events
    select landing_date, eid, event_hash, tid, met, quantity_value, occurred_utc, usage_date,
           source_file, row_number
    from _checked where reason is null""",
    # Rejects are few: their text comes back from the batch rather than through the checked table.
    """insert into raw.usage_rejects
    select c.landing_date, c.source_file, c.row_number, c.reason, c.payload_differs,
           b.event_id, b.tenant_id, b.metric, b.quantity, b.occurred_at, b.raw_record
    from _checked c
    join _batch b using (source_file, row_number)
    where c.reason is not null
    order by c.landing_date, c.source_file, c.row_number""",
)


def ingest_usage_partition(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    landing_date: date,
    known_metrics: Sequence[str],
    billing_start: date | None,
) -> PartitionResult:
    """Replace the raw rows of one landing date with a fresh read of its folder."""
    return ingest_usage_partitions(con, landing_dir, [landing_date], known_metrics, billing_start)[0]


def ingest_usage_partitions(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    landing_dates: Sequence[date],
    known_metrics: Sequence[str],
    billing_start: date | None,
) -> list[PartitionResult]:
    """Replace the raw rows of these landing dates, in one pass and one transaction.

    More than one date only when none has been ingested before (see the module
    docstring); `batches` groups dates that way.
    """
    ensure_raw_schema(con)
    dates = sorted(set(landing_dates))
    if len(dates) > 1:
        done = ingested_landing_dates(con) & set(dates)
        if done:
            raise ValueError(f"already ingested, re-ingest alone: {sorted(done)}")
    results = {d: PartitionResult(d) for d in dates}
    con.execute(
        "create or replace temp table _batch ("
        + ", ".join(f"{f.name} {_duck_type(f.type)}" for f in _BATCH_SCHEMA)
        + ")"
    )
    _load_files(con, landing_dir, results)

    con.execute(_EARLY_REASONS_SQL, {"billing_start": billing_start, "metrics": list(known_metrics)})
    con.execute(_DUPLICATES_SQL, {"landing_dates": dates})
    con.execute(_MARK_DUPLICATES_SQL)
    for landing_date, reason, count in con.execute(
        "select landing_date, coalesce(reason, ''), count(*) from _checked group by all"
    ).fetchall():
        if reason:
            results[landing_date].rejects_by_reason[reason] = count
        else:
            results[landing_date].rows_accepted = count
    for landing_date, count in con.execute("select landing_date, count(*) from _batch group by all").fetchall():
        results[landing_date].rows_read = count
    for result in results.values():
        result.rejects_by_reason = dict(sorted(result.rejects_by_reason.items(), key=lambda kv: REJECT_REASONS.index(kv[0])))

    con.execute("begin")
    try:
        for statement in _DELETE_STATEMENTS:
            con.execute(statement, {"landing_dates": dates})
        for statement in _INSERT_STATEMENTS:
            con.execute(statement)
        for result in results.values():
            for path, reason in result.rejected_files:
                con.execute("insert into raw.rejected_files values (?, ?, ?)", [result.landing_date, path, reason])
            con.execute(
                "insert into raw.usage_partitions values (?, ?, ?, ?, ?, ?, current_localtimestamp())",
                [result.landing_date, result.files_read, len(result.rejected_files), result.rows_read,
                 result.rows_accepted, result.rows_rejected],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _batch; drop table if exists _checked; drop table if exists _duplicates; drop table if exists _files")
    return [results[d] for d in dates]


def ingested_landing_dates(con: duckdb.DuckDBPyConnection) -> set[date]:
    """Landing dates with a partition record: ingested at least once (the raw schema must exist)."""
    return {r[0] for r in con.execute("select landing_date from raw.usage_partitions").fetchall()}


def _landed_files(landing_dir: Path, landing_date: date) -> list[Path]:
    folder = usage_folder(landing_dir, landing_date)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def batches(landing_dir: Path, dates: Sequence[date], ingested: set[date], max_bytes: int = BATCH_BYTES) -> list[list[date]]:
    """Dates in order, in groups that one pass may ingest together.

    A date ingested before is a group of its own; consecutive new dates share a
    group until their files reach `max_bytes` on disk, which bounds the batch's memory.
    """
    groups: list[list[date]] = []
    size = 0
    for landing_date in sorted(set(dates)):
        date_bytes = sum(p.stat().st_size for p in _landed_files(landing_dir, landing_date))
        joinable = groups and groups[-1][-1] not in ingested and landing_date not in ingested
        if joinable and size + date_bytes <= max_bytes:
            groups[-1].append(landing_date)
            size += date_bytes
        else:
            groups.append([landing_date])
            size = date_bytes
    return groups


def _duck_type(arrow_type: pa.DataType) -> str:
    if arrow_type == pa.date32():
        return "date"
    if arrow_type == pa.timestamp("us"):
        return "timestamp"
    if arrow_type == pa.int64():
        return "bigint"
    if arrow_type == pa.bool_():
        return "boolean"
    if arrow_type == pa.decimal128(38, 6):
        return "decimal(38, 6)"
    return "varchar"


def reject_reason_counts(results: Iterable[PartitionResult]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for r in results:
        total.update(r.rejects_by_reason)
    return {reason: total[reason] for reason in REJECT_REASONS if total[reason]}
