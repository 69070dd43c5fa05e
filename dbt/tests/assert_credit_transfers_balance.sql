{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_credit_entries'}}}) }}
-- A returned row is a credit transfer the close processes whose entries do
-- not balance (SPEC §5.7, §5.9): an applied transfer whose transfer_out
-- entries do not sum to minus its amount or whose transfer_in entries do not
-- sum to its amount, a rejected transfer that moved anything, or entries of a
-- transfer the close does not process. A transfer never creates or destroys
-- credit. Blocks the close.
with moved as (
    select source_id as transfer_id,
           coalesce(-sum(amount_minor) filter (where entry_type = 'transfer_out'), 0) as out_minor,
           coalesce(sum(amount_minor) filter (where entry_type = 'transfer_in'), 0) as in_minor
    from {{ ref('fct_proposed_credit_entries') }}
    where entry_type in ('transfer_out', 'transfer_in')
    group by source_id
)

select coalesce(t.transfer_id, m.transfer_id) as transfer_id, t.outcome, t.amount_minor, m.out_minor, m.in_minor
from {{ ref('fct_proposed_credit_transfers') }} t
full outer join moved m using (transfer_id)
where t.transfer_id is null
   or (t.outcome = 'applied' and (coalesce(m.out_minor, 0) <> t.amount_minor or coalesce(m.in_minor, 0) <> t.amount_minor))
   or (t.outcome = 'rejected' and m.transfer_id is not null)
