select
    event_id,
    mode,
    state,
    status_code,
    reason,
    attempts,
    recorded_at,
    run_id
from {{ source('ledger', 'alert_deliveries') }}
