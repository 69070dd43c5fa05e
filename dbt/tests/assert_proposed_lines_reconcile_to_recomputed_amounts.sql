{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoice_lines'}}}) }}
-- A returned row is a billing account, service month and metric for which what
-- was emitted plus what is proposed now (usage and adjustment lines) differs from the month recomputed in
-- full: after this close, revenue would not reconcile. Blocks the close.
with proposed as (
    select billing_account_type, billing_account_id, coalesce(adjusts_period, invoice_period) as service_month,
           metric, sum(amount_minor) as amount_minor
    from {{ ref('fct_proposed_invoice_lines') }}
    where line_type in ('usage', 'adjustment')
    group by all
),
emitted as (
    select billing_account_type, billing_account_id, service_month, metric, amount_minor
    from {{ ref('int_emitted_line_totals') }}
),
recomputed as (
    select billing_account_type, billing_account_id, service_month, metric, amount_minor
    from {{ ref('int_recomputed_lines') }}
),
closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),
keys as (
    select billing_account_type, billing_account_id, service_month, metric from proposed
    union select billing_account_type, billing_account_id, service_month, metric from emitted
    union select billing_account_type, billing_account_id, service_month, metric from recomputed
)
select k.*, coalesce(e.amount_minor, 0) as emitted, coalesce(p.amount_minor, 0) as proposed,
       coalesce(r.amount_minor, 0) as recomputed
from keys k
left join proposed p using (billing_account_type, billing_account_id, service_month, metric)
left join emitted e using (billing_account_type, billing_account_id, service_month, metric)
left join recomputed r using (billing_account_type, billing_account_id, service_month, metric)
where (select is_open from closing)
  and k.service_month <= {{ close_month() }}
  and coalesce(e.amount_minor, 0) + coalesce(p.amount_minor, 0) <> coalesce(r.amount_minor, 0)
