{{ config(meta={'dagster': {'ref': {'name': 'int_metrics'}}}) }}
-- A returned row is a metric of the price book with more than one aggregation or
-- unit, an aggregation other than max/avg/sum, or a currency without a known
-- minor-unit exponent. Blocks the close.
select metric, 'aggregation or unit differs between rows' as problem
from {{ ref('int_metrics') }}
where aggregations > 1 or units > 1 or aggregation not in ('max', 'avg', 'sum')
union all
select metric || '/' || currency, 'currency has no minor-unit exponent'
from {{ ref('price_book') }}
where currency not in (select currency from {{ ref('currencies') }})
