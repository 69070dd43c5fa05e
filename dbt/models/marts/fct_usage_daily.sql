{{ config(tags=['post_close']) }}
{#- Usage per tenant, UTC usage date and metric (over every landing date it
    arrived in), with the partner and billing owner its month is attributed to. -#}
with days as (
    select tenant_id, metric, usage_date,
           max(day_max_quantity) as max_quantity,
           sum(day_sum_quantity) as sum_quantity,
           sum(events) as events,
           max(landing_date) as last_landing_date
    from {{ ref('int_usage_daily') }}
    where landing_date <= {{ close_date() }} and usage_date < {{ close_date() }}
    group by all
)

select
    d.tenant_id,
    d.usage_date,
    cast(date_trunc('month', d.usage_date) as date) as service_month,
    d.metric,
    d.max_quantity,
    d.sum_quantity,
    d.events,
    d.last_landing_date,
    a.partner_id,
    a.billing_account_type,
    a.billing_account_id
from days d
left join {{ ref('int_tenant_attribution') }} a
    on a.tenant_id = d.tenant_id and a.service_month = date_trunc('month', d.usage_date)
