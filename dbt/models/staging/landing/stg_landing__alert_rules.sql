{{ config(tags=['alerts']) }}
select
    alert_id,
    billing_account_type,
    billing_account_id,
    measure,
    metric,
    {{ parse_plain_decimal('threshold') }} as threshold_value,
    threshold,
    webhook_url,
    source_row
from {{ source('landing', 'alert_rules') }}
