{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoice_lines'}}}) }}
-- A returned row is an emitted line whose credit notes, emitted and proposed,
-- would credit more than its amount (SPEC §5.7, §5.10). Blocks the close.
with credited as (
    select credits_line_key as line_key, -sum(amount_minor) as credited_minor
    from (
        select credits_line_key, amount_minor from {{ ref('stg_ledger__invoice_lines') }} where line_type = 'credit_note'
        union all
        select credits_line_key, amount_minor from {{ ref('fct_proposed_invoice_lines') }} where line_type = 'credit_note'
    ) notes
    group by credits_line_key
)

select c.line_key, c.credited_minor, l.amount_minor as line_amount_minor
from credited c
left join {{ ref('stg_ledger__invoice_lines') }} l on l.line_key = c.line_key
where l.line_key is null or c.credited_minor > l.amount_minor
