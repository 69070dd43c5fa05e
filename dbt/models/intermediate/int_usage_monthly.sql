{#- Billable quantity per tenant, service month and metric (SPEC §4), as the
    close of close_month() sees it: usage landed up to its close date only. -#}
with daily as (
    select tenant_id, metric, usage_date,
           max(day_max_quantity) as day_max_quantity,
           sum(day_sum_quantity) as day_sum_quantity,
           sum(events) as events
    from {{ ref('int_usage_daily') }}
    where landing_date <= {{ close_date() }}
      and usage_date < {{ close_date() }}
    group by tenant_id, metric, usage_date
),

monthly as (
    select
        tenant_id,
        metric,
        cast(date_trunc('month', usage_date) as date) as service_month,
        max(day_max_quantity) as max_reading,
        sum(day_max_quantity) as sum_of_daily_max,
        sum(day_sum_quantity) as total_quantity,
        count(*) as days_with_usage,
        sum(events) as events
    from daily
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
        when 'avg' then {{ divide_half_up_6('m.sum_of_daily_max', 'day(last_day(m.service_month))') }}
    end as decimal(38, 6)) as billable_quantity,
    m.days_with_usage,
    m.events
from monthly m
join {{ ref('int_metrics') }} x on x.metric = m.metric
