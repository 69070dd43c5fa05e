select
    tenant_id,
    name,
    lower(currency) as currency,
    country,
    external_ref,
    stripe_customer_id,
    try_cast(created_at as date) as created_at,
    source_row
from {{ source('landing', 'tenants') }}
