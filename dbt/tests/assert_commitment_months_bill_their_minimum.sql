{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoice_lines'}}}) }}
-- A returned row is a commitment month (SPEC §5.8) whose usage, adjustment,
-- commitment and commitment_adjustment lines, emitted and proposed, would sum
-- below its minimum after this close. Blocks the close.
with closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),

billed as (
    select billing_account_type, billing_account_id, coalesce(adjusts_period, invoice_period) as service_month,
           sum(amount_minor) as amount_minor
    from (
        select billing_account_type, billing_account_id, adjusts_period, invoice_period, line_type, amount_minor
        from {{ ref('stg_ledger__invoice_lines') }}
        union all
        select billing_account_type, billing_account_id, adjusts_period, invoice_period, line_type, amount_minor
        from {{ ref('fct_proposed_invoice_lines') }}
    ) l
    where line_type in ('usage', 'adjustment', 'commitment', 'commitment_adjustment')
    group by all
)

select t.commitment_id, t.billing_account_type, t.billing_account_id, t.service_month,
       t.minimum_minor, coalesce(b.amount_minor, 0) as billed_minor
from {{ ref('int_commitment_true_ups') }} t
left join billed b using (billing_account_type, billing_account_id, service_month)
where (select is_open from closing)
  and coalesce(b.amount_minor, 0) < t.minimum_minor
