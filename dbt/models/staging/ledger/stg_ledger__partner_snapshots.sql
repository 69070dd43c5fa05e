select close_month, partner_id, name, parent_partner_id, bills_via_parent, currency,
       country, tier_floor, stripe_customer_id
from {{ source('ledger', 'partner_snapshots') }}
