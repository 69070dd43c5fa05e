{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_alert_rules'}}}) }}
-- A returned row is a row of billing/alert_rules.csv that is never evaluated,
-- with its data row, id and the problem (SPEC §2, §5.12): an id off the
-- pattern or repeated, an account that is not a billing owner, an unknown
-- measure or metric, a threshold that is not a plain decimal >= 0 or not exact.
-- Reported, never blocking: the other rules are evaluated, and billing goes on.
select 'billing/alert_rules.csv' as file, source_row, alert_id as id, problem
from {{ ref('int_alert_rules') }}
where problem is not null
order by source_row
