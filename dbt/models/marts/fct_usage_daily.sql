{#- Usage per tenant, UTC usage date and metric (over every landing date it
    arrived in), with the partner and billing owner its month is attributed to.

    Incremental by service month (macros/months_by_inputs.sql): a close rebuilds
    only the months whose inputs changed. build_id tells which months a build wrote,
    so the analytics file copies only those (exports/analytics.py). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    tags=['post_close'],
    pre_hook=["{{ delete_months_built_from_other_inputs(usage_daily_inputs()) }}"]
) }}

with months as (
    {{ months_to_build(usage_daily_inputs()) }}
),

days as (
    select tenant_id, metric, usage_date,
           max(day_max_quantity) as max_quantity,
           sum(day_sum_quantity) as sum_quantity,
           sum(events) as events,
           max(landing_date) as last_landing_date
    from {{ ref('int_usage_daily') }}
    where {{ seen_at_close() }}
      and cast(date_trunc('month', usage_date) as date) in (select service_month from months)
    group by all
)

select
    d.tenant_id,
    d.usage_date,
    m.service_month,
    d.metric,
    d.max_quantity,
    d.sum_quantity,
    d.events,
    d.last_landing_date,
    a.partner_id,
    a.billing_account_type,
    a.billing_account_id,
    m.inputs_fingerprint,
    '{{ invocation_id }}' as build_id
from days d
join months m on m.service_month = date_trunc('month', d.usage_date)
left join {{ ref('int_tenant_attribution') }} a
    on a.tenant_id = d.tenant_id and a.service_month = m.service_month
