{#- Each partner's top-level partner (the root of its hierarchy, walking
    parent_partner_id up), as the current files say: credit moves only within
    one hierarchy (SPEC §5.9). A cycle is caught by
    assert_partner_hierarchy_has_no_cycle; the depth bound only stops the walk. -#}
with recursive walk(partner_id, ancestor_id, depth) as (
    select partner_id, partner_id, 0 from {{ ref('stg_landing__partners') }}
    union all
    select w.partner_id, p.parent_partner_id, w.depth + 1
    from walk w
    join {{ ref('stg_landing__partners') }} p on p.partner_id = w.ancestor_id
    where p.parent_partner_id is not null and w.depth < 64
)

select partner_id, arg_max(ancestor_id, depth) as root_partner_id
from walk
group by partner_id
