{{ config(tags=['daily']) }}

select
    landing_date,
    source_file,
    row_number,
    reason,
    payload_differs,
    event_id,
    tenant_id,
    metric,
    quantity,
    occurred_at,
    raw_record
from {{ source('landing', 'usage_rejects') }}
