{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_landing__usage_rejects'}}}) }}
-- A returned row is a rejected usage row (by reason) or an unreadable file up to
-- the close date. Reported, never blocking (SPEC §5.7).
select landing_date, reason, count(*) as n, null as source_file
from {{ ref('stg_landing__usage_rejects') }}
where landing_date <= {{ close_date() }}
group by landing_date, reason
union all
select landing_date, reason, 1, source_file
from {{ ref('stg_landing__rejected_files') }}
where landing_date <= {{ close_date() }}
