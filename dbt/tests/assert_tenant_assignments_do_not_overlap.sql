{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__assignments'}}}) }}
-- A returned row is a pair of assignments of one tenant whose periods overlap,
-- or an assignment that ends before it starts. Blocks the close.
select a.tenant_id, a.partner_id, a.valid_from, a.valid_to, b.partner_id as other_partner_id,
       b.valid_from as other_valid_from
from {{ ref('stg_landing__assignments') }} a
join {{ ref('stg_landing__assignments') }} b
    on a.tenant_id = b.tenant_id and a.source_row < b.source_row
    and a.valid_from < coalesce(b.valid_to, date '9999-12-31')
    and b.valid_from < coalesce(a.valid_to, date '9999-12-31')
union all
select tenant_id, partner_id, valid_from, valid_to, null, null
from {{ ref('stg_landing__assignments') }}
where valid_to is not null and valid_to <= valid_from
union all
select tenant_id, partner_id, valid_from, valid_to, null, null
from {{ ref('stg_landing__assignments') }}
where valid_to_text is not null and valid_to is null
