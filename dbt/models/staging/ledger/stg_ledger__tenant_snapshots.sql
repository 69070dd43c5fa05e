select close_month, tenant_id, name, currency, country, external_ref, stripe_customer_id, created_at
from {{ source('ledger', 'tenant_snapshots') }}
