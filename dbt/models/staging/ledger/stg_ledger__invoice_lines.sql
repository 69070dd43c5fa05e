select
    invoice_period,
    billing_account_id,
    billing_account_type,
    line_key,
    line_type,
    adjusts_period,
    coalesce(adjusts_period, invoice_period) as service_period,
    metric,
    description,
    quantity,
    unit_price,
    amount_minor,
    currency,
    tier,
    emitted_at,
    run_id
from {{ source('ledger', 'invoice_lines') }}
