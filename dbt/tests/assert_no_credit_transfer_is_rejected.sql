{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_proposed_credit_transfers'}}}) }}
-- A returned row is a credit transfer this close rejects (SPEC §5.9): the
-- sender's blocks usable on its date held less than its amount
-- (insufficient_balance). Reported, never blocking: nothing moved, the id is
-- spent, and a new transfer needs a new id.
select transfer_id, from_partner_id, to_partner_id, amount, transferred_on, reject_reason
from {{ ref('fct_proposed_credit_transfers') }}
where outcome = 'rejected'
order by transferred_on, transfer_id
