{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_proposed_credit_notes'}}}) }}
-- A returned row is a credit note this close rejects, with the reason (SPEC
-- §5.10): unknown_line, not_creditable, bad_reason, bad_amount or
-- exceeds_line. Reported, never blocking: the note's id is spent, and a
-- corrected note needs a new id.
select credit_note_id, line_key, amount, reason, issued_on, reject_reason
from {{ ref('fct_proposed_credit_notes') }}
where outcome = 'rejected'
order by issued_on, credit_note_id
