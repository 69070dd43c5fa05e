select
    tenant_id,
    partner_id,
    try_cast(valid_from as date) as valid_from,
    try_cast(valid_to as date) as valid_to,
    valid_from as valid_from_text,
    valid_to as valid_to_text,
    source_row
from {{ source('landing', 'assignments') }}
