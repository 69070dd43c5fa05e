{{ config(tags=['post_close']) }}
{#- One row per tenant and month in which it was active (platform revenue > 0),
    with the partner it was billed through that month and its MRR: the month's
    platform revenue in EUR minor units. Two scopes: per partner, and the
    platform as a whole (where a partner change is not visible). A partner's
    account-level revenue (commitment true-ups) belongs to no tenant and is
    not counted here; a direct tenant's is its own. -#}
with by_tenant as (
    select
        service_month,
        tenant_id,
        arg_max(coalesce(partner_id, '(direct)'), platform_revenue_minor) as partner_key,
        arg_max(billing_account_id, platform_revenue_minor) as billing_account_id,
        arg_max(tier, platform_revenue_minor) as tier,
        sum(platform_revenue_minor) as platform_revenue_minor,
        sum(platform_revenue_eur_minor) as mrr_eur_minor
    from {{ ref('int_revenue_monthly') }}
    where tenant_id is not null
    group by service_month, tenant_id
)

select 'partner' as scope, service_month, tenant_id, partner_key,
       case when partner_key = '(direct)' then '(direct)' else billing_account_id end as billing_account_id,
       tier, mrr_eur_minor
from by_tenant where platform_revenue_minor > 0
union all
select 'platform', service_month, tenant_id, '(platform)', '(platform)', null, mrr_eur_minor
from by_tenant where platform_revenue_minor > 0
