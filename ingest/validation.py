"""The SPEC §3 checks of a batch: each row gets the first reject reason that
applies, in the spec's order, or none.

One SQL pass over `_batch` gives every reason but duplicate_event into
`_checked`; a second pass gives duplicate_event to later copies among the rows
left (an event_id accepted in another landing date, or earlier in the batch by
landing date, file, then row) and flags copies whose payload differs.
"""

from __future__ import annotations

from ingest.schema import ID_PATTERN

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

_TIMESTAMP_PATTERN = (
    r"^(?P<d>\d{4}-\d{2}-\d{2})[T ](?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)"
    r"(?::(?P<s>[0-5]\d)(?P<f>\.\d+)?)?(?P<tz>Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$"
)
_QUANTITY_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# The digits before and after the point and the exponent of a text that matches _QUANTITY_PATTERN.
_QUANTITY_PARTS = r"^[+-]?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$"
# An exponent beyond ±10000 moves any digit past 1e12 or past the 6th decimal all the same.
_CLAMPED_EXPONENT = """case
            when q.quantity_parts.exponent = '' then 0
            when try_cast(q.quantity_parts.exponent as bigint) is null
                then case when q.quantity_parts.exponent like '-%' then -10000 else 10000 end
            else greatest(least(cast(q.quantity_parts.exponent as bigint), 10000), -10000)
        end"""
# A text quantity's exact value rounded half-up to 6 decimals, from its digits (a cast of the text
# would round, or overflow, before the exponent applies): null when it is above 1e12, which is
# 0.1 x 10^13. The integer digits and 6 decimals are written out as text and cast, and the 7th
# decimal carries. A non-negative value only: a negative one with a non-zero digit is rejected.
_EXACT_TEXT_QUANTITY = """case
            when c.quantity_parts is null then null
            when c.significant_digits = '' then 0::decimal(38, 6)
            when c.point > 13 or (c.point = 13 and rtrim(c.significant_digits, '0') <> '1') then null
            else cast(
                cast((case when c.point > 0 then rpad(left(c.significant_digits, c.point), c.point, '0') else '0' end)
                     || '.' || rpad(left(
                         case when c.point > 0 then substr(c.significant_digits, c.point + 1)
                              else repeat('0', least(-c.point, 7)) || c.significant_digits end, 6), 6, '0')
                     as decimal(38, 6))
                + case when substr(case when c.point > 0 then substr(c.significant_digits, c.point + 1)
                                        else repeat('0', least(-c.point, 7)) || c.significant_digits end, 7, 1) >= '5'
                       then 0.000001 else 0 end
                as decimal(38, 6))
        end"""


_SPACES = " || ".join(("chr(32)", "chr(9)", "chr(10)", "chr(13)"))


def _trimmed(column: str) -> str:
    # Trimming with a character set is slow in DuckDB and most values need none. Space, tab,
    # CR and LF all sort before '!', so a value needs trimming only if one of its ends does:
    # two plain comparisons instead of testing each end against each character.
    return (
        f"nullif(case when {column} < '!' or right({column}, 1) < '!' "
        f"then trim({column}, {_SPACES}) else {column} end, '')"
    )


# Every reason but duplicate_event, which needs the rows that pass these (see DUPLICATES_SQL).
EARLY_REASONS_SQL = f"""
create or replace temp table _checked as
with cleaned as (
    select
        b.*,
        {_trimmed('event_id')} as clean_event_id,
        {_trimmed('tenant_id')} as clean_tenant_id,
        {_trimmed('metric')} as clean_metric,
        -- The text of a Parquet value needs no trimming.
        case when b.quantity_value is null then {_trimmed('quantity')} else quantity end as quantity_text,
        case when b.occurred_value is null then {_trimmed('occurred_at')} else occurred_at end as occurred_text
    from _batch b
),
quantity_digits as (
    select
        c.*,
        case when c.quantity_value is null and regexp_full_match(c.quantity_text, '{_QUANTITY_PATTERN}')
            then regexp_extract(c.quantity_text, '{_QUANTITY_PARTS}', ['int_digits', 'frac_digits', 'exponent'])
        end as quantity_parts
    from cleaned c
),
quantity_significant as (
    select
        q.*,
        ltrim(q.quantity_parts.int_digits || q.quantity_parts.frac_digits, '0') as significant_digits,
        -- The value is 0.<significant_digits> x 10^point.
        cast(length(q.quantity_parts.int_digits) + {_CLAMPED_EXPONENT}
            - (length(q.quantity_parts.int_digits || q.quantity_parts.frac_digits)
               - length(ltrim(q.quantity_parts.int_digits || q.quantity_parts.frac_digits, '0'))) as integer) as point
    from quantity_digits q
),
parsed as (
    select
        c.* exclude (quantity_value, quantity_parts, significant_digits, point),
        case when c.occurred_value is null
            then regexp_extract(c.occurred_text, '{_TIMESTAMP_PATTERN}', ['d', 'h', 'mi', 's', 'f', 'tz'])
        end as occurred_parts,
        c.quantity_value is not null as quantity_typed,
        coalesce(c.quantity_value, {_EXACT_TEXT_QUANTITY}) as quantity_value
    from quantity_significant c
),
timed as (
    select
        p.*,
        case when p.occurred_value is not null then p.occurred_value
        when regexp_full_match(p.occurred_text, '{_TIMESTAMP_PATTERN}') then
            try_cast(
                occurred_parts.d || ' ' || occurred_parts.h || ':' || occurred_parts.mi || ':'
                || coalesce(nullif(occurred_parts.s, ''), '00') || left(occurred_parts.f, 7)
                as timestamp
            )
            - to_minutes(
                case when occurred_parts.tz in ('', 'Z') then 0
                     else (case when left(occurred_parts.tz, 1) = '-' then -1 else 1 end)
                          * (cast(substr(occurred_parts.tz, 2, 2) as integer) * 60
                             + cast(right(occurred_parts.tz, 2) as integer))
                end
            )
        end as occurred_utc
    from parsed p
)
select
    t.landing_date, t.source_file, t.row_number, t.clean_event_id as event_id,
    hash(t.clean_event_id) as event_hash, t.clean_tenant_id as tenant_id, t.clean_metric as metric,
    t.quantity_value, t.occurred_utc, cast(t.occurred_utc as date) as usage_date,
    case
        when t.malformed or (t.clean_event_id is not null and not regexp_full_match(t.clean_event_id, '{ID_PATTERN}'))
            then 'malformed_row'
        when t.clean_event_id is null or t.clean_tenant_id is null or t.clean_metric is null
             or t.quantity_text is null or t.occurred_text is null
            then 'missing_field'
        when t.quantity_value is null
             or t.quantity_value > {MAX_QUANTITY}
             or (t.quantity_typed and t.quantity_value < 0)
             or (not t.quantity_typed and (not regexp_full_match(t.quantity_text, '{_QUANTITY_PATTERN}')
                                           or regexp_matches(t.quantity_text, '^-[0.]*[1-9]')))
            then 'bad_quantity'
        when t.occurred_utc is null then 'bad_timestamp'
        when cast(t.occurred_utc as date) > t.landing_date then 'future_timestamp'
        when $billing_start::date is not null and cast(t.occurred_utc as date) < $billing_start::date
            then 'before_billing_start'
        when t.clean_tenant_id not in (select tenant_id from raw.tenants where tenant_id is not null)
            then 'unknown_tenant'
        when t.clean_metric not in (select unnest($metrics::varchar[])) then 'unknown_metric'
    end as reason,
    cast(null as boolean) as payload_differs
from timed t
"""

# Only the rows whose event_hash repeats in the batch or is found in the history are
# ranked and compared: grouping 8-byte hashes costs a third of grouping the ids, and a
# window over every row would cost a sort of the batch. Equal ids have equal hashes, so
# every copy of a repeated id is among them; a hash collision only adds rows to rank.
DUPLICATES_SQL = """
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
        s.event_id,
        struct_pack(tenant_id := s.tenant_id, metric := s.metric, quantity := s.quantity_value,
                    occurred_at := s.occurred_utc) as payload,
        row_number() over copies as copy_rank,
        first_value(struct_pack(tenant_id := s.tenant_id, metric := s.metric, quantity := s.quantity_value,
                                occurred_at := s.occurred_utc))
            over copies as first_copy
    from suspects s
    window copies as (partition by s.event_id order by s.landing_date, s.source_file, s.row_number)
),
earlier as (
    select h.event_id, any_value(struct_pack(
        tenant_id := h.tenant_id, metric := h.metric, quantity := h.quantity, occurred_at := h.occurred_at)) as accepted
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
left join earlier x on x.event_id = r.event_id
where x.event_id is not null or r.copy_rank > 1
"""

MARK_DUPLICATES_SQL = """
update _checked set reason = 'duplicate_event', payload_differs = d.payload_differs
from _duplicates d
where _checked.source_file = d.source_file and _checked.row_number = d.row_number
"""
