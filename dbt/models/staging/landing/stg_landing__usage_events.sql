{{ config(tags=['daily']) }}

select
    landing_date,
    event_id,
    tenant_id,
    metric,
    quantity,
    occurred_at,
    usage_date,
    source_file,
    row_number
from {{ source('landing', 'usage_events') }}
