{#- Usage per tenant, UTC usage date and metric (over every landing date it
    arrived in), with the partner and billing owner its month is attributed to.

    Incremental by service month: a close rebuilds only the months whose inputs
    changed (usage_daily_inputs), so its cost follows the new data, not the
    ~20M rows of a year at 100M events. The pre-hook deletes every month built
    from other inputs, or with no input any more; the body builds the months
    then missing. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['post_close'],
    pre_hook=[
        "{% if is_incremental() %}delete from {{ this }} t where not exists (
            select 1 from ({{ usage_daily_inputs() }}) i
            where i.service_month = t.service_month and i.inputs_fingerprint = t.inputs_fingerprint
        ){% endif %}"
    ]
) }}

with months as (
    select service_month, inputs_fingerprint
    from ({{ usage_daily_inputs() }}) i
    {% if is_incremental() %}
    where not exists (select 1 from {{ this }} t where t.service_month = i.service_month)
    {% endif %}
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
    m.inputs_fingerprint
from days d
join months m on m.service_month = date_trunc('month', d.usage_date)
left join {{ ref('int_tenant_attribution') }} a
    on a.tenant_id = d.tenant_id and a.service_month = m.service_month
