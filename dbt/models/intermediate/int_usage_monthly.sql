{#- Billable quantity per tenant, service month and metric (SPEC §4), as the
    close of close_month() sees it: usage landed up to its close date only.
    Incremental by service month (macros/months_by_inputs.sql): a close rebuilds
    only the months whose inputs changed, usually the closed month and late usage's. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_months_built_from_other_inputs(usage_monthly_inputs()) }}"]
) }}

with months as (
    {{ months_to_build(usage_monthly_inputs()) }}
),

landed as (
    select tenant_id, metric, usage_date, day_max_quantity, day_sum_quantity, events
    from {{ ref('int_usage_daily') }}
    where {{ seen_at_close() }}
      and cast(date_trunc('month', usage_date) as date) in (select service_month from months)
),

{#- A day's usage may have landed on several dates. The month's highest reading, sum and
    events do not care, and its days are counted as one bit per day of the month: grouping
    ~20M rows by day first, or counting distinct days, was the slowest step of a close. -#}
monthly as (
    select
        tenant_id,
        metric,
        cast(date_trunc('month', usage_date) as date) as service_month,
        max(day_max_quantity) as max_reading,
        sum(day_sum_quantity) as total_quantity,
        cast(bit_count(bit_or(cast(1 as ubigint) << day(usage_date))) as bigint) as days_with_usage,
        sum(events) as events
    from landed
    group by all
),

{#- Only an averaged metric needs each day's highest reading over its landing dates. -#}
averaged_days as (
    select tenant_id, metric, usage_date, max(day_max_quantity) as day_max_quantity
    from landed
    where metric in (select metric from {{ ref('int_metrics') }} where aggregation = 'avg')
    group by all
),

averaged as (
    select
        tenant_id,
        metric,
        cast(date_trunc('month', usage_date) as date) as service_month,
        sum(day_max_quantity) as sum_of_daily_max
    from averaged_days
    group by all
)

select
    m.tenant_id,
    m.metric,
    m.service_month,
    x.aggregation,
    x.unit,
    cast(case x.aggregation
        when 'max' then m.max_reading
        when 'sum' then m.total_quantity
        when 'avg' then {{ divide_half_up_6('a.sum_of_daily_max', 'day(last_day(m.service_month))') }}
    end as decimal(38, 6)) as billable_quantity,
    m.days_with_usage,
    m.events,
    n.inputs_fingerprint
from monthly m
join months n on n.service_month = m.service_month
join {{ ref('int_metrics') }} x on x.metric = m.metric
left join averaged a
    on a.tenant_id = m.tenant_id and a.metric = m.metric and a.service_month = m.service_month
