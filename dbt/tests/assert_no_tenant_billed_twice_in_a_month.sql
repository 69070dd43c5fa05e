{{ config(meta={'dagster': {'ref': {'name': 'int_tenant_attribution'}}}) }}
-- A returned row is a tenant and service month attributed to more than one
-- billing account (e.g. two assignments in effect on the month's last day). Blocks the close.
select tenant_id, service_month, count(*) as billing_accounts
from {{ ref('int_tenant_attribution') }}
group by tenant_id, service_month
having count(*) > 1
