{#- Incremental by landing partition: only landing dates whose ingest is newer
    than what this table holds are (re)aggregated, so a daily run costs the
    day's data, not the history. A re-ingested partition is deleted first. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['daily'],
    pre_hook=[
        "{% if is_incremental() %}delete from {{ this }} where landing_date in (
            select p.landing_date from {{ ref('stg_landing__usage_partitions') }} p
            where not exists (select 1 from {{ this }} d
                              where d.landing_date = p.landing_date and d.ingested_at = p.ingested_at)
        ){% endif %}"
    ]
) }}

with partitions as (
    select landing_date, ingested_at
    from {{ ref('stg_landing__usage_partitions') }} p
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} d where d.landing_date = p.landing_date)
    {% endif %}
)

select
    e.tenant_id,
    e.metric,
    e.usage_date,
    e.landing_date,
    max(e.quantity) as day_max_quantity,
    sum(e.quantity) as day_sum_quantity,
    count(*) as events,
    any_value(p.ingested_at) as ingested_at
from {{ ref('stg_landing__usage_events') }} e
join partitions p on p.landing_date = e.landing_date
group by e.tenant_id, e.metric, e.usage_date, e.landing_date
