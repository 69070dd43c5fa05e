{{ config(tags=['post_close']) }}
{#- One row per emitted invoice line (SPEC §6), straight from the ledger. -#}
select
    invoice_period,
    billing_account_id,
    billing_account_type,
    line_key,
    line_type,
    adjusts_period,
    metric,
    description,
    quantity,
    unit_price,
    amount_minor,
    currency,
    tier,
    promotion_id,
    reference,
    credits_line_key,
    emitted_at,
    run_id
from {{ ref('stg_ledger__invoice_lines') }}
