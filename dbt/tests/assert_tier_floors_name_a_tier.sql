{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partners'}}}) }}
-- A returned row is a partner whose tier_floor is not a tier of the programme
-- (matched case-insensitively). Blocks the close.
select p.partner_id, p.tier_floor
from {{ ref('stg_landing__partners') }} p
where p.tier_floor is not null
  and lower(p.tier_floor) not in (select lower(tier) from {{ ref('partner_tiers') }})
