{{ config(tags=['post_close']) }}
{#- Every alert that fired (SPEC §5.12, §6), with where its delivery stands:
    delivered (a 2xx from its webhook), outbox (its request written to the
    outbox), failed (the last attempt failed; the next delivery run tries
    again) or pending (not attempted yet). -#}
with latest as (
    select event_id, arg_max(state, recorded_at) as state, arg_max(mode, recorded_at) as mode,
           arg_max(status_code, recorded_at) as status_code, arg_max(reason, recorded_at) as reason,
           bool_or(state = 'delivered' and mode = 'live') as delivered_live
    from {{ ref('stg_ledger__alert_deliveries') }}
    group by event_id
)

select
    e.event_id,
    e.alert_id,
    e.month,
    e.billing_account_type,
    e.billing_account_id,
    e.landing_date,
    e.measure,
    e.metric,
    e.value,
    e.threshold,
    e.currency,
    cast(case
        when e.webhook_url is null then 'no_webhook'
        when l.delivered_live then 'delivered'
        when l.state = 'delivered' then 'outbox'
        when l.state = 'failed' then 'failed'
        else 'pending'
    end as varchar) as delivery_state,
    l.status_code as last_status_code,
    l.reason as last_failure_reason,
    e.fired_at
from {{ ref('stg_ledger__alert_events') }} e
left join latest l using (event_id)
