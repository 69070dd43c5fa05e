{#- Tier of each partner billing owner per service month (SPEC §5.1): billable
    users = sum of its tenants' active_users billable quantities; the tier with
    the highest threshold not above that (the lowest tier when none is), raised
    to the owner's tier_floor when the floor is higher. -#}
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

earned as (
    select u.billing_account_id, u.service_month, u.billable_users,
           coalesce(
               arg_max(t.tier, t.min_billable_users) filter (where t.min_billable_users <= u.billable_users),
               arg_min(t.tier, t.min_billable_users)
           ) as earned_tier
    from users u
    cross join {{ ref('partner_tiers') }} t
    group by all
),

floored as (
    select e.*, p.billing_owner_tier_floor as tier_floor,
           et.min_billable_users as earned_threshold,
           ft.tier as floor_tier, ft.min_billable_users as floor_threshold
    from earned e
    join {{ ref('partner_tiers') }} et on et.tier = e.earned_tier
    left join {{ ref('int_partners_by_month') }} p
        on p.service_month = e.service_month and p.partner_id = e.billing_account_id
    left join {{ ref('partner_tiers') }} ft on lower(ft.tier) = lower(p.billing_owner_tier_floor)
)

select
    f.billing_account_id,
    f.service_month,
    f.billable_users,
    f.earned_tier,
    f.tier_floor,
    t.tier,
    t.discount_pct
from floored f
join {{ ref('partner_tiers') }} t
    on t.tier = case when f.floor_threshold > f.earned_threshold then f.floor_tier else f.earned_tier end
