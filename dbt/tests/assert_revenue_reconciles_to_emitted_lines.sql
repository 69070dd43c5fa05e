{{ config(meta={'dagster': {'ref': {'name': 'fct_revenue_monthly'}}}) }}
-- A returned row is a billing account and service month whose platform revenue
-- differs from the emitted invoice lines billing that month, to the minor unit.
-- Credit purchases and credits drawn pay for lines and are not revenue (SPEC §5.5).
select coalesce(r.billing_account_id, l.billing_account_id) as billing_account_id,
       coalesce(r.service_month, l.service_month) as service_month,
       r.platform_revenue_minor, l.amount_minor
from (
    select billing_account_id, service_month, sum(platform_revenue_minor) as platform_revenue_minor
    from {{ ref('fct_revenue_monthly') }} group by all
) r
full outer join (
    select billing_account_id, coalesce(adjusts_period, invoice_period) as service_month,
           sum(amount_minor) as amount_minor
    from {{ ref('fct_invoice_lines') }}
    where line_type not in ('credit_purchase', 'credit')
    group by all
) l using (billing_account_id, service_month)
where coalesce(r.platform_revenue_minor, 0) <> coalesce(l.amount_minor, 0)
