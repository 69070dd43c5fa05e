{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partner_rate_cards'}}}) }}
-- A returned row is a rate card or retail price that names an unknown metric or
-- currency, or whose price or date did not parse. Blocks the close.
select 'partner_rate_cards' as file, source_row, partner_id, metric, currency
from {{ ref('stg_landing__partner_rate_cards') }}
where metric not in (select metric from {{ ref('int_metrics') }})
   or currency not in (select currency from {{ ref('currencies') }})
   or wholesale_unit_price is null or wholesale_unit_price < 0 or effective_from is null
union all
select 'partner_retail_prices', source_row, partner_id, metric, currency
from {{ ref('stg_landing__partner_retail_prices') }}
where metric not in (select metric from {{ ref('int_metrics') }})
   or currency not in (select currency from {{ ref('currencies') }})
   or retail_unit_price is null or retail_unit_price < 0 or effective_from is null
