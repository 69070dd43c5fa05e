{{ config(meta={'dagster': {'ref': {'name': 'fct_stripe_invoice_items'}}}) }}
-- A returned row is a billing account, invoice period and currency whose Stripe
-- invoice items do not sum to its emitted invoice lines, or an item above
-- Stripe's 8-digit limit. Blocks sending.
with items as (
    select billing_account_id, invoice_period, currency, sum(amount_minor) as amount_minor,
           max(abs(amount_minor)) as largest
    from {{ ref('fct_stripe_invoice_items') }}
    group by all
),
lines as (
    select billing_account_id, invoice_period, currency, sum(amount_minor) as amount_minor
    from {{ ref('fct_invoice_lines') }}
    group by all
)
select coalesce(i.billing_account_id, l.billing_account_id) as billing_account_id,
       coalesce(i.invoice_period, l.invoice_period) as invoice_period,
       coalesce(i.currency, l.currency) as currency,
       i.amount_minor as items_minor, l.amount_minor as lines_minor, i.largest
from items i
full outer join lines l using (billing_account_id, invoice_period, currency)
where coalesce(i.amount_minor, 0) <> coalesce(l.amount_minor, 0) or i.largest > {{ var('stripe_max_item_amount_minor') }}
