{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partners'}}}) }}
-- A returned row is a partner whose chain of parents leads back to itself
-- (a hierarchy cycle). Blocks the close.
with recursive walk(start_id, current_id, depth) as (
    select partner_id, parent_partner_id, 1
    from {{ ref('stg_landing__partners') }}
    where parent_partner_id is not null
    union all
    select w.start_id, p.parent_partner_id, w.depth + 1
    from walk w
    join {{ ref('stg_landing__partners') }} p on p.partner_id = w.current_id
    where p.parent_partner_id is not null and w.current_id <> w.start_id and w.depth < 64
)
select distinct start_id as partner_id
from walk
where current_id = start_id
