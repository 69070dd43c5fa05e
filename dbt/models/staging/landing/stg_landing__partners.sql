select
    partner_id,
    name,
    parent_partner_id,
    coalesce(lower(bills_via_parent) = 'true', false) as bills_via_parent,
    bills_via_parent as bills_via_parent_text,
    lower(currency) as currency,
    country,
    tier_floor,
    stripe_customer_id,
    source_row
from {{ source('landing', 'partners') }}
