{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoice_lines'}}}) }}
-- A returned row is a proposed invoice whose credit lines pay more than it
-- owes (SPEC §5.7, §5.9): owed = its usage, adjustment, commitment,
-- commitment_adjustment and credit_note lines; credits are drawn only where
-- owed > 0, and never above it. Or a credit line without the drawdown entry
-- of its amount on its block, or a credit_purchase line whose amount is not
-- the purchase's price. Blocks the close.
with invoices as (
    select billing_account_type, billing_account_id,
           sum(amount_minor) filter (where line_type not in ('credit', 'credit_purchase')) as owed_minor,
           coalesce(-sum(amount_minor) filter (where line_type = 'credit'), 0) as credited_minor
    from {{ ref('fct_proposed_invoice_lines') }}
    group by billing_account_type, billing_account_id
),

drawdowns as (
    select billing_account_type, billing_account_id, block_id, -amount_minor as drawn_minor
    from {{ ref('fct_proposed_credit_entries') }}
    where entry_type = 'drawdown'
),

credit_lines as (
    select billing_account_type, billing_account_id, reference as block_id, -amount_minor as drawn_minor
    from {{ ref('fct_proposed_invoice_lines') }}
    where line_type = 'credit'
)

select billing_account_type, billing_account_id, 'credits ' || credited_minor || ' above owed ' || coalesce(owed_minor, 0)
    as problem
from invoices
where credited_minor > greatest(coalesce(owed_minor, 0), 0)
union all
select coalesce(l.billing_account_type, d.billing_account_type), coalesce(l.billing_account_id, d.billing_account_id),
       'credit line of block ' || coalesce(l.block_id, d.block_id) || ' does not match its drawdown entry'
from credit_lines l
full outer join drawdowns d using (billing_account_type, billing_account_id, block_id)
where l.drawn_minor is null or d.drawn_minor is null or l.drawn_minor <> d.drawn_minor
union all
select l.billing_account_type, l.billing_account_id,
       'credit_purchase line of ' || l.reference || ' is not its price ' || coalesce(cast(p.price_minor as varchar), 'none')
from {{ ref('fct_proposed_invoice_lines') }} l
left join {{ ref('fct_proposed_credit_purchases') }} p on p.purchase_id = l.reference
where l.line_type = 'credit_purchase' and (p.price_minor is null or p.price_minor <> l.amount_minor)
