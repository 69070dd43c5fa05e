{#- The lines the close of close_month() would emit (SPEC §5.3, §5.9): its
    charges (int_proposed_charge_lines), a credit_purchase line per credit
    purchase it charges and a negative credit line per credit block drawn
    against an invoice. Empty once the month is closed. Checked, then copied
    as is into the ledger by the emission step. -#}
with credit_lines as (
    select
        p.billing_account_type, p.billing_account_id, 'credit_purchase' as line_type, p.purchase_id as reference,
        p.price_minor as amount_minor, p.currency, c.minor_unit_exponent,
        'Prepaid credit purchase ' || p.purchase_id || ': ' || p.quantity || ' x ' || p.package as description
    from {{ ref('int_credit_purchases_due') }} p
    join {{ ref('currencies') }} c on c.currency = p.currency
    union all
    select
        d.billing_account_type, d.billing_account_id, 'credit', d.block_id, -d.drawn_minor, d.currency,
        c.minor_unit_exponent, 'Prepaid credit drawn from block ' || d.block_id
    from {{ ref('int_credit_drawdowns') }} d
    join {{ ref('currencies') }} c on c.currency = d.currency
)

select * from {{ ref('int_proposed_charge_lines') }}
union all
select
    {{ close_month() }} as invoice_period,
    l.billing_account_id,
    l.billing_account_type,
    {{ line_key('l.billing_account_type', 'l.billing_account_id', close_month(), 'l.line_type', 'l.reference',
                'cast(null as date)') }} as line_key,
    l.line_type,
    cast(null as date) as adjusts_period,
    cast(null as varchar) as metric,
    l.description,
    cast(1 as decimal(38, 6)) as quantity,
    cast({{ minor_to_major('l.amount_minor', 'l.minor_unit_exponent') }} as decimal(38, 16)) as unit_price,
    cast(l.amount_minor as bigint) as amount_minor,
    l.currency,
    cast(null as varchar) as tier,
    cast(null as varchar) as promotion_id,
    l.reference,
    cast(null as varchar) as credits_line_key
from credit_lines l
