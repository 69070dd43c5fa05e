{#- Who bills a tenant's month: the partner whose assignment is in effect on the
    month's last day, else the tenant directly (SPEC §4). One row per tenant and
    service month with usage; a tenant with two assignments on that day appears
    twice and fails assert_no_tenant_billed_twice_in_a_month. -#}
with tenant_months as (
    select distinct tenant_id, service_month from {{ ref('int_usage_monthly') }}
    where service_month <= {{ close_month() }}
)

select
    tm.tenant_id,
    tm.service_month,
    a.partner_id,
    case when a.partner_id is null then 'tenant' else 'partner' end as billing_account_type,
    coalesce(p.billing_owner_id, tm.tenant_id) as billing_account_id,
    coalesce(p.billing_owner_currency, t.currency) as currency
from tenant_months tm
left join {{ ref('stg_landing__assignments') }} a
    on a.tenant_id = tm.tenant_id
    and a.valid_from <= last_day(tm.service_month)
    and (a.valid_to is null or a.valid_to > last_day(tm.service_month))
left join {{ ref('int_partners_by_month') }} p
    on p.service_month = tm.service_month and p.partner_id = a.partner_id
left join {{ ref('int_tenants_by_month') }} t
    on t.service_month = tm.service_month and t.tenant_id = tm.tenant_id
