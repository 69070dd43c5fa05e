{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_landing__credit_notes'}}}) }}
-- A returned row is a credit note already processed at an earlier close whose
-- row in billing/credit_notes.csv was changed since: reported, never
-- blocking, and it changes nothing (a processed note is decided once).
select n.credit_note_id, n.source_row, p.close_month
from {{ ref('stg_landing__credit_notes') }} n
join {{ ref('stg_ledger__credit_notes') }} p using (credit_note_id)
where n.line_key is distinct from p.line_key
   or n.amount is distinct from p.amount
   or n.reason is distinct from p.reason
   or n.issued_on is distinct from p.issued_on
   or n.memo is distinct from p.memo
