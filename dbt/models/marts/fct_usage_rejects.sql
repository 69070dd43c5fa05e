{{ config(tags=['post_close']) }}
{#- Every rejected usage row (SPEC §3, §6), as analysts see them beside the
    marts: where it landed, why it was rejected, and its values as landed. -#}
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
from {{ ref('stg_landing__usage_rejects') }}
