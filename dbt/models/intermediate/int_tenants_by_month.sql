{#- Tenant attributes in force for each service month (snapshot at its close, else current). -#}
select m.service_month, s.tenant_id, s.name, s.currency, s.country, s.external_ref,
       s.stripe_customer_id, s.created_at
from {{ ref('int_service_months') }} m
join {{ ref('stg_ledger__tenant_snapshots') }} s on s.close_month = m.service_month
union all
select m.service_month, t.tenant_id, t.name, t.currency, t.country, t.external_ref,
       t.stripe_customer_id, t.created_at
from {{ ref('int_service_months') }} m
cross join {{ ref('stg_landing__tenants') }} t
where not exists (
    select 1 from {{ ref('stg_ledger__tenant_snapshots') }} s
    where s.close_month = m.service_month and s.tenant_id = t.tenant_id
)
