{#- Partners as the current files describe them, with their billing owner.
    Snapshotted into the ledger at each close. -#}
select
    p.partner_id,
    p.name,
    p.parent_partner_id,
    p.bills_via_parent,
    p.currency,
    p.country,
    p.tier_floor,
    p.stripe_customer_id,
    m.billing_owner_id
from {{ ref('stg_landing__partners') }} p
left join {{ ref('int_partners_by_month') }} m
    on m.partner_id = p.partner_id and m.service_month = {{ close_month() }}
