{#- Tenants as the current files describe them. Snapshotted into the ledger at each close. -#}
select tenant_id, name, currency, country, external_ref, stripe_customer_id, created_at
from {{ ref('stg_landing__tenants') }}
