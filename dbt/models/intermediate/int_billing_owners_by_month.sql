{#- Who is a billing owner in each service month (SPEC §2, §4): a partner
    that bills itself (not via its parent), or a tenant with no assignment in
    effect on the month's last day, with the owner's currency. Rows of the
    billing files name accounts that must be one of these in their months. -#}
select p.service_month, 'partner' as billing_account_type, p.partner_id as billing_account_id, p.currency
from {{ ref('int_partners_by_month') }} p
where p.billing_owner_id = p.partner_id
union all
select t.service_month, 'tenant', t.tenant_id, t.currency
from {{ ref('int_tenants_by_month') }} t
where not exists (
    select 1 from {{ ref('stg_landing__assignments') }} a
    where a.tenant_id = t.tenant_id
      and a.valid_from <= last_day(t.service_month)
      and (a.valid_to is null or a.valid_to > last_day(t.service_month))
)
