{#- Each transfer the close of close_month() processes, applied or rejected
    (SPEC §5.9): applied when the sender's blocks usable on its date held the
    amount at its turn in the fold, else rejected insufficient_balance. -#}
with steps as (
    select hierarchy, step, bool_or(accepted) as accepted
    from {{ ref('int_credit_transfer_fold') }}
    where step > 0
    group by hierarchy, step
)

select
    t.transfer_id,
    t.from_partner_id,
    t.to_partner_id,
    t.currency,
    t.amount,
    t.transferred_on,
    t.amount_minor,
    t.hierarchy,
    t.position,
    case when s.accepted then 'applied' else 'rejected' end as outcome,
    case when not s.accepted then 'insufficient_balance' end as reject_reason
from {{ ref('int_credit_transfers_due') }} t
join steps s on s.hierarchy = t.hierarchy and s.step = t.position
