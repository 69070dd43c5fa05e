{#- The credit purchases the close of close_month() charges (SPEC §5.9), from
    the file or a top-up, with the credit and the price in minor units and the
    key of the credit_purchase line: copied into the ledger, so each id is
    charged once. Empty once the month is closed. -#}
select
    p.purchase_id,
    {{ close_month() }} as close_month,
    p.origin,
    p.billing_account_type,
    p.billing_account_id,
    p.package,
    p.quantity,
    p.purchased_on,
    p.currency,
    p.credit_minor,
    p.price_minor,
    l.line_key
from {{ ref('int_credit_purchases_due') }} p
join {{ ref('fct_proposed_invoice_lines') }} l on l.line_type = 'credit_purchase' and l.reference = p.purchase_id
