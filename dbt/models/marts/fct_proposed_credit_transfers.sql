{#- Every credit transfer the close of close_month() processes (SPEC §5.9), as
    it is in the file, with its outcome: copied into the ledger, so each id is
    processed once, and a rejected one is never retried. Empty once the month
    is closed. -#}
select
    transfer_id,
    {{ close_month() }} as close_month,
    from_partner_id,
    to_partner_id,
    currency,
    amount,
    transferred_on,
    outcome,
    reject_reason,
    amount_minor
from {{ ref('int_credit_transfer_decisions') }}
