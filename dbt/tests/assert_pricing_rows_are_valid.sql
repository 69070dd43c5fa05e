{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partner_rate_cards'}}}) }}
-- A returned row is a rate card, retail price or markup that cannot be
-- priced with, with its file, data row and the problem: an unknown partner,
-- metric or currency, a price or markup that did not parse or is negative, a
-- date that did not parse, or two markups of a partner for the same metric
-- and date. Blocks the close.
with metrics as (select metric from {{ ref('int_metrics') }}),
currencies as (select currency from {{ ref('currencies') }}),

prices as (
    select 'pricing/partner_rate_cards.csv' as file, source_row, partner_id, metric, currency,
           wholesale_unit_price as unit_price, effective_from
    from {{ ref('stg_landing__partner_rate_cards') }}
    union all
    select 'pricing/partner_retail_prices.csv', source_row, partner_id, metric, currency,
           retail_unit_price, effective_from
    from {{ ref('stg_landing__partner_retail_prices') }}
),

markups as (
    select m.*, count(*) over (partition by partner_id, coalesce(metric, ''), effective_from) as same_key
    from {{ ref('stg_landing__partner_markups') }} m
),

problems as (
    select file, source_row, partner_id, case
        when metric is null or metric not in (select metric from metrics) then 'unknown metric ' || coalesce(metric, '')
        when currency is null or currency not in (select currency from currencies)
            then 'unknown currency ' || coalesce(currency, '')
        when unit_price is null or unit_price < 0 then 'the unit price is not a decimal >= 0'
        when effective_from is null then 'effective_from is not a date'
    end as problem
    from prices
    union all
    select 'pricing/partner_markups.csv', source_row, partner_id, case
        when partner_id not in (select partner_id from {{ ref('stg_landing__partners') }})
            then 'unknown partner ' || partner_id
        when metric is not null and metric not in (select metric from metrics) then 'unknown metric ' || metric
        when markup_pct is null then 'markup_pct is not a plain decimal >= 0 with at most 6 decimals'
        when effective_from is null then 'effective_from is not a date'
        when same_key > 1 then 'another markup of ' || partner_id || ' has the same metric and effective_from'
    end
    from markups
)

select * from problems where problem is not null
order by file, source_row
