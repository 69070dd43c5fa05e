{#- What the close of close_month() decides for each credit note (SPEC §5.10):
    every note issued up to the month's last day and not processed at an
    earlier close, in (issued_on, credit_note_id) order, accepted or rejected
    with the first reason that applies: unknown_line (no line of that key was
    emitted at an earlier close), not_creditable (not a usage, adjustment,
    commitment or commitment_adjustment line with a positive amount),
    bad_reason, bad_amount (not > 0, or not exact in the line currency's minor
    digits), exceeds_line (the notes accepted on the line, this one included,
    would exceed its amount). Whether a note fits its line depends on the
    notes accepted before it, so the notes of one line are folded in order.
    Rows with an id off the pattern, a repeated id or no issue date are file
    errors that block the close (assert_billing_rows_are_valid) and are left
    out here. Empty once the month is closed. -#}
with recursive closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),

unique_notes as (
    select credit_note_id from {{ ref('stg_landing__credit_notes') }} group by credit_note_id having count(*) = 1
),

candidates as (
    select
        n.credit_note_id, n.line_key, n.amount, n.amount_value, n.reason, n.issued_on, n.memo,
        l.line_type as credited_line_type, l.amount_minor as line_amount_minor,
        l.billing_account_type, l.billing_account_id, l.metric, l.currency, l.service_period,
        c.minor_unit_exponent
    from {{ ref('stg_landing__credit_notes') }} n
    join unique_notes u using (credit_note_id)
    left join {{ ref('stg_ledger__invoice_lines') }} l on l.line_key = n.line_key
    left join {{ ref('currencies') }} c on c.currency = l.currency
    where n.issued_on is not null
      and n.issued_on <= last_day({{ close_month() }})
      and regexp_full_match(n.credit_note_id, '{{ var("id_pattern") }}')
      and n.credit_note_id not in (select credit_note_id from {{ ref('stg_ledger__credit_notes') }})
      and (select is_open from closing)
),

checked as (
    select c.*, case
        when c.credited_line_type is null then 'unknown_line'
        when c.credited_line_type not in ('usage', 'adjustment', 'commitment', 'commitment_adjustment')
             or c.line_amount_minor <= 0 then 'not_creditable'
        when c.reason is null or c.reason not in ('duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory')
            then 'bad_reason'
        when c.amount_value is null or c.amount_value <= 0
             or not {{ exact_in_minor_digits('c.amount', 'c.minor_unit_exponent') }} then 'bad_amount'
    end as first_reason
    from candidates c
),

fitting as (
    select c.*,
           {{ amount_minor('c.amount_value', 1, 'c.minor_unit_exponent') }} as amount_minor,
           row_number() over (partition by c.line_key order by c.issued_on, c.credit_note_id) as position
    from checked c
    where c.first_reason is null
),

accepted_before as (
    select line_key, sum(amount_minor) as amount_minor
    from {{ ref('stg_ledger__credit_notes') }}
    where outcome = 'accepted'
    group by line_key
),

-- accepted_total: what the line has been credited once this note is decided.
folded(line_key, position, credit_note_id, accepted, accepted_total) as (
    select f.line_key, f.position, f.credit_note_id,
           coalesce(a.amount_minor, 0) + f.amount_minor <= f.line_amount_minor,
           coalesce(a.amount_minor, 0)
               + case when coalesce(a.amount_minor, 0) + f.amount_minor <= f.line_amount_minor
                      then f.amount_minor else 0 end
    from fitting f
    left join accepted_before a using (line_key)
    where f.position = 1
    union all
    select f.line_key, f.position, f.credit_note_id,
           p.accepted_total + f.amount_minor <= f.line_amount_minor,
           p.accepted_total + case when p.accepted_total + f.amount_minor <= f.line_amount_minor
                                   then f.amount_minor else 0 end
    from folded p
    join fitting f on f.line_key = p.line_key and f.position = p.position + 1
)

select
    c.credit_note_id,
    c.line_key,
    c.amount,
    c.reason,
    c.issued_on,
    c.memo,
    case when c.first_reason is null and fo.accepted then 'accepted' else 'rejected' end as outcome,
    case when c.first_reason is not null then c.first_reason
         when not fo.accepted then 'exceeds_line' end as reject_reason,
    case when c.first_reason is null and fo.accepted then f.amount_minor end as amount_minor,
    c.billing_account_type,
    c.billing_account_id,
    c.metric,
    c.currency,
    c.minor_unit_exponent,
    c.service_period,
    c.line_amount_minor
from checked c
left join fitting f using (credit_note_id)
left join folded fo using (credit_note_id)
