{#- Partner attributes in force for each service month: the snapshot taken at
    that month's close when it was closed, else the current files (SPEC §4), so a
    later edit never re-bills a closed month. The billing owner is resolved per
    month by walking bills_via_parent up the hierarchy. -#}
with recursive versions as (
    select m.service_month, s.partner_id, s.name, s.parent_partner_id, s.bills_via_parent,
           s.currency, s.country, s.tier_floor, s.stripe_customer_id
    from {{ ref('int_service_months') }} m
    join {{ ref('stg_ledger__partner_snapshots') }} s on s.close_month = m.service_month
    union all
    select m.service_month, p.partner_id, p.name, p.parent_partner_id, p.bills_via_parent,
           p.currency, p.country, p.tier_floor, p.stripe_customer_id
    from {{ ref('int_service_months') }} m
    cross join {{ ref('stg_landing__partners') }} p
    where not exists (
        select 1 from {{ ref('stg_ledger__partner_snapshots') }} s
        where s.close_month = m.service_month and s.partner_id = p.partner_id
    )
),

-- A cycle is caught by assert_partner_hierarchy_has_no_cycle; the depth bound only stops the walk.
walk(service_month, partner_id, owner_id, depth) as (
    select service_month, partner_id, partner_id, 0 from versions
    union all
    select w.service_month, w.partner_id, v.parent_partner_id, w.depth + 1
    from walk w
    join versions v on v.service_month = w.service_month and v.partner_id = w.owner_id
    where v.bills_via_parent and v.parent_partner_id is not null and w.depth < 64
),

owners as (
    select service_month, partner_id, arg_max(owner_id, depth) as billing_owner_id
    from walk
    group by service_month, partner_id
)

select
    v.service_month,
    v.partner_id,
    v.name,
    v.parent_partner_id,
    v.bills_via_parent,
    v.currency,
    v.country,
    v.tier_floor,
    v.stripe_customer_id,
    o.billing_owner_id,
    ov.name as billing_owner_name,
    ov.currency as billing_owner_currency,
    ov.tier_floor as billing_owner_tier_floor
from versions v
join owners o using (service_month, partner_id)
left join versions ov on ov.service_month = v.service_month and ov.partner_id = o.billing_owner_id
