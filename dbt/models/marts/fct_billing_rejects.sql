{{ config(tags=['post_close']) }}
{#- Every billing row a close rejected (SPEC §5.9-5.10, §6), with the reason and the close that decided it. -#}
select
    'credit_note' as kind,
    credit_note_id as id,
    reject_reason as reason,
    close_month
from {{ ref('stg_ledger__credit_notes') }}
where outcome = 'rejected'
union all
select 'transfer', transfer_id, reject_reason, close_month
from {{ ref('stg_ledger__credit_transfers') }}
where outcome = 'rejected'
