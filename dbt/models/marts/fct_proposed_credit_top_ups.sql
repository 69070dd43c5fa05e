{#- The top-up purchases the close of close_month() decides (SPEC §5.9), with
    the balance that fell below the threshold: copied into the ledger, and
    charged at the next close. Empty once the month is closed. -#}
select
    purchase_id,
    rule_id,
    {{ close_month() }} as close_month,
    billing_account_type,
    billing_account_id,
    package,
    quantity,
    purchased_on,
    balance_minor,
    threshold_minor
from {{ ref('int_credit_top_up_decisions') }}
