{#- Every credit note the close of the month being closed processes (SPEC
    §5.10), as it is in the file, with its outcome and, when accepted, the key
    of its credit_note line: copied into the ledger with the close's lines, so
    each id is processed once. Empty once the month is closed. -#}
select
    d.credit_note_id,
    {{ close_month() }} as close_month,
    d.line_key,
    d.amount,
    d.reason,
    d.issued_on,
    d.memo,
    d.outcome,
    d.reject_reason,
    cast(d.amount_minor as bigint) as amount_minor,
    l.line_key as credit_line_key
from {{ ref('int_credit_note_decisions') }} d
left join {{ ref('fct_proposed_invoice_lines') }} l
    on l.line_type = 'credit_note' and l.reference = d.credit_note_id
