select metric, any_value(unit) as unit, any_value(aggregation) as aggregation,
       count(distinct aggregation) as aggregations, count(distinct unit) as units
from {{ ref('price_book') }}
group by metric
