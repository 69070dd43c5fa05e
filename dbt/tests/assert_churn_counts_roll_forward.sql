{{ config(meta={'dagster': {'ref': {'name': 'fct_churn_monthly'}}}) }}
-- A returned row is a partner (or the platform) whose tenants at the start of a
-- month differ from the previous month's tenants at end.
select c.service_month, c.scope, c.partner_id, c.tenants_at_start, p.tenants_at_end as previous_end
from {{ ref('fct_churn_monthly') }} c
join {{ ref('fct_churn_monthly') }} p
    on p.scope = c.scope and p.partner_id = c.partner_id
    and p.service_month = cast(c.service_month - interval 1 month as date)
where c.tenants_at_start <> p.tenants_at_end
