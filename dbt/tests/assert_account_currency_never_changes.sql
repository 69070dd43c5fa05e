{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partners'}}}) }}
-- A returned row is a partner or tenant whose currency in the current files
-- differs from the one snapshotted at an earlier close. Blocks the close.
select 'partner' as account_type, p.partner_id as account_id, s.currency as was, p.currency as now
from {{ ref('stg_landing__partners') }} p
join {{ ref('stg_ledger__partner_snapshots') }} s on s.partner_id = p.partner_id
where s.currency is distinct from p.currency
union
select 'tenant', t.tenant_id, s.currency, t.currency
from {{ ref('stg_landing__tenants') }} t
join {{ ref('stg_ledger__tenant_snapshots') }} s on s.tenant_id = t.tenant_id
where s.currency is distinct from t.currency
