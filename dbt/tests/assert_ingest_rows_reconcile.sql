{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__usage_partitions'}}}) }}
-- A returned row is a landing date whose rows read differ from rows accepted plus
-- rows rejected, as recorded or as counted in the raw tables. Blocks the close.
with accepted as (
    select landing_date, count(*) as n from {{ ref('stg_landing__usage_events') }} group by 1
),
rejected as (
    select landing_date, count(*) as n from {{ ref('stg_landing__usage_rejects') }} group by 1
)
select p.landing_date, p.rows_read, p.rows_accepted, p.rows_rejected,
       coalesce(a.n, 0) as accepted_rows, coalesce(r.n, 0) as rejected_rows
from {{ ref('stg_landing__usage_partitions') }} p
left join accepted a using (landing_date)
left join rejected r using (landing_date)
where p.landing_date <= {{ close_date() }}
  and (p.rows_read <> p.rows_accepted + p.rows_rejected
       or p.rows_accepted <> coalesce(a.n, 0)
       or p.rows_rejected <> coalesce(r.n, 0))
