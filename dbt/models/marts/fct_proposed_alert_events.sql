{{ config(tags=['alerts']) }}
{#- The alerts to fire now (SPEC §5.12): per usable rule and month, the first
    evaluable landing date where usage or spend >= threshold, or
    credit_balance <= threshold, unless the rule already fired for that month
    (the ledger's alert_events, never fired again). Read by alerts/alert_events,
    which appends them to the ledger. -#}
with crossings as (
    select m.*,
           row_number() over (partition by m.alert_id, m.month order by m.landing_date) as nth
    from {{ ref('int_alert_measures') }} m
    where case when m.measure = 'credit_balance' then m.value <= m.threshold else m.value >= m.threshold end
)

select
    c.alert_id || ':' || {{ period_key('c.month') }} as event_id,
    c.alert_id,
    c.month,
    c.billing_account_type,
    c.billing_account_id,
    c.landing_date,
    c.measure,
    c.metric,
    c.value,
    c.threshold,
    c.currency,
    c.webhook_url
from crossings c
where c.nth = 1
  and not exists (
      select 1 from {{ ref('stg_ledger__alert_events') }} e where e.alert_id = c.alert_id and e.month = c.month)
