{{ config(meta={'dagster': {'ref': {'name': 'int_recomputed_lines'}}}) }}
-- A returned row is a billing line with usage in a currency for which the price
-- book has no list price in effect on the month's first day. Blocks the close.
select billing_account_type, billing_account_id, service_month, metric, currency
from {{ ref('int_recomputed_lines') }}
where list_unit_price is null or unit_price is null or minor_unit_exponent is null
