select
    event_id,
    alert_id,
    month,
    billing_account_type,
    billing_account_id,
    landing_date,
    measure,
    metric,
    value,
    threshold,
    currency,
    webhook_url,
    fired_at,
    run_id
from {{ source('ledger', 'alert_events') }}
