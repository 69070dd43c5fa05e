{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoice_lines'}}}) }}
-- A returned row is a proposed partner line whose statement rows do not sum to
-- its amount_minor (or a row without its line). Blocks the close.
select l.line_key, l.amount_minor, coalesce(sum(s.wholesale_amount_minor), 0) as rows_total
from {{ ref('fct_proposed_invoice_lines') }} l
left join {{ ref('fct_proposed_statement_rows') }} s on s.line_key = l.line_key
where l.billing_account_type = 'partner'
group by l.line_key, l.amount_minor
having l.amount_minor <> coalesce(sum(s.wholesale_amount_minor), 0)
union all
select s.line_key, null, sum(s.wholesale_amount_minor)
from {{ ref('fct_proposed_statement_rows') }} s
where s.line_key not in (select line_key from {{ ref('fct_proposed_invoice_lines') }})
group by s.line_key
