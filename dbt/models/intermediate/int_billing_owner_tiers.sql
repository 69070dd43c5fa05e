{#- Tier of each partner billing owner per service month (SPEC §5.1): billable
    users = sum of its tenants' active_users billable quantities; the tier by
    macros/pricing.sql's owner_tiers, with the owner's tier_floor of that month. -#}
with owner_months as (
    select distinct billing_account_id, service_month
    from {{ ref('int_tenant_usage_monthly') }}
    where billing_account_type = 'partner'
),

users as (
    select om.billing_account_id, om.service_month,
           coalesce(sum(u.billable_quantity) filter (where u.metric = 'active_users'), 0) as billable_users
    from owner_months om
    join {{ ref('int_tenant_usage_monthly') }} u
        on u.billing_account_id = om.billing_account_id and u.service_month = om.service_month
        and u.billing_account_type = 'partner'
    group by all
),

floors as (
    select u.*, p.billing_owner_tier_floor as tier_floor
    from users u
    left join {{ ref('int_partners_by_month') }} p
        on p.service_month = u.service_month and p.partner_id = u.billing_account_id
)

select * from ({{ owner_tiers('floors') }}) tiers
