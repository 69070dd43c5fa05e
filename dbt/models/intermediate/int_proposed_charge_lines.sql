{#- The charges the close of close_month() would emit (SPEC §5.3, §5.6, §5.8):
    the month's usage lines and commitment true-up, and for every earlier month
    an adjustment per billing account and metric whose recomputed amount
    differs from what was emitted for it so far, and a commitment_adjustment
    per account whose recomputed true-up differs from its commitment lines so
    far; and a credit_note line per credit note accepted at this close. Empty
    once the month is closed. What an invoice owes before credits are drawn
    (SPEC §5.9); fct_proposed_invoice_lines adds the credit lines. -#}
with close_state as (
    select is_closed from {{ ref('int_service_months') }} where is_close_month
),

recomputed as (
    select * from {{ ref('int_recomputed_lines') }}
),

usage_lines as (
    select
        r.billing_account_type, r.billing_account_id, r.metric, r.unit, r.currency,
        'usage' as line_type,
        cast(null as date) as adjusts_period,
        r.quantity, r.unit_price, r.amount_minor, r.tier,
        r.promotion_id, r.percent_off_text,
        cast(null as varchar) as reference,
        cast(null as varchar) as credits_line_key,
        cast(null as varchar) as credit_reason
    from recomputed r
    where r.service_month = {{ close_month() }} and r.quantity > 0
),

compared as (
    select
        coalesce(r.billing_account_type, e.billing_account_type) as billing_account_type,
        coalesce(r.billing_account_id, e.billing_account_id) as billing_account_id,
        coalesce(r.service_month, e.service_month) as service_month,
        coalesce(r.metric, e.metric) as metric,
        coalesce(r.currency, e.currency) as currency,
        coalesce(r.quantity, 0) - coalesce(e.quantity, 0) as quantity,
        coalesce(r.unit_price, e.last_unit_price) as unit_price,
        coalesce(r.amount_minor, 0) - coalesce(e.amount_minor, 0) as amount_minor,
        case when coalesce(r.billing_account_type, e.billing_account_type) = 'partner'
             then coalesce(r.tier, t.tier, e.last_tier) end as tier,
        r.promotion_id,
        r.percent_off_text
    from recomputed r
    full outer join {{ ref('int_emitted_line_totals') }} e
        on e.billing_account_type = r.billing_account_type
        and e.billing_account_id = r.billing_account_id
        and e.service_month = r.service_month
        and e.metric = r.metric
        and e.currency = r.currency
    left join {{ ref('int_billing_owner_tiers') }} t
        on t.billing_account_id = e.billing_account_id and t.service_month = e.service_month
),

adjustment_lines as (
    select
        c.billing_account_type, c.billing_account_id, c.metric, m.unit, c.currency,
        'adjustment' as line_type,
        c.service_month as adjusts_period,
        c.quantity, c.unit_price, c.amount_minor, c.tier,
        c.promotion_id, c.percent_off_text,
        cast(null as varchar) as reference,
        cast(null as varchar) as credits_line_key,
        cast(null as varchar) as credit_reason
    from compared c
    join {{ ref('int_metrics') }} m on m.metric = c.metric
    where c.service_month < {{ close_month() }} and c.amount_minor <> 0
),

true_ups as (
    select
        coalesce(u.billing_account_type, e.billing_account_type) as billing_account_type,
        coalesce(u.billing_account_id, e.billing_account_id) as billing_account_id,
        coalesce(u.service_month, e.service_month) as service_month,
        coalesce(u.currency, e.currency) as currency,
        coalesce(u.commitment_id, e.last_reference) as reference,
        coalesce(u.true_up_minor, 0) - coalesce(e.amount_minor, 0) as amount_minor
    from {{ ref('int_commitment_true_ups') }} u
    full outer join {{ ref('int_emitted_commitment_totals') }} e
        on e.billing_account_type = u.billing_account_type
        and e.billing_account_id = u.billing_account_id
        and e.service_month = u.service_month
        and e.currency = u.currency
),

commitment_lines as (
    select
        t.billing_account_type, t.billing_account_id, cast(null as varchar) as metric,
        cast(null as varchar) as unit, t.currency,
        case when t.service_month = {{ close_month() }} then 'commitment' else 'commitment_adjustment' end
            as line_type,
        case when t.service_month < {{ close_month() }} then t.service_month end as adjusts_period,
        cast(1 as decimal(38, 6)) as quantity,
        {{ minor_to_major('t.amount_minor', 'c.minor_unit_exponent') }} as unit_price,
        t.amount_minor,
        cast(null as varchar) as tier,
        cast(null as varchar) as promotion_id,
        cast(null as varchar) as percent_off_text,
        t.reference,
        cast(null as varchar) as credits_line_key,
        cast(null as varchar) as credit_reason
    from true_ups t
    join {{ ref('currencies') }} c on c.currency = t.currency
    where t.amount_minor <> 0 and t.service_month <= {{ close_month() }}
),

-- Decided once, at this close, and never recomputed: a credit on the credited line's account and month.
credit_note_lines as (
    select
        d.billing_account_type, d.billing_account_id, d.metric, m.unit, d.currency,
        'credit_note' as line_type,
        d.service_period as adjusts_period,
        cast(1 as decimal(38, 6)) as quantity,
        {{ minor_to_major('-d.amount_minor', 'd.minor_unit_exponent') }} as unit_price,
        -d.amount_minor as amount_minor,
        cast(null as varchar) as tier,
        cast(null as varchar) as promotion_id,
        cast(null as varchar) as percent_off_text,
        d.credit_note_id as reference,
        d.line_key as credits_line_key,
        d.reason as credit_reason
    from {{ ref('int_credit_note_decisions') }} d
    left join {{ ref('int_metrics') }} m on m.metric = d.metric
    where d.outcome = 'accepted'
),

lines as (
    select * from usage_lines
    union all
    select * from adjustment_lines
    union all
    select * from commitment_lines
    union all
    select * from credit_note_lines
)

select
    {{ close_month() }} as invoice_period,
    l.billing_account_id,
    l.billing_account_type,
    {{ line_key('l.billing_account_type', 'l.billing_account_id', close_month(), 'l.line_type',
                "case when l.line_type in ('usage', 'adjustment') then l.metric else l.reference end",
                'l.adjusts_period') }} as line_key,
    l.line_type,
    l.adjusts_period,
    l.metric,
    case l.line_type
        when 'usage' then l.metric || ' (' || l.unit || '), ' || {{ period_key(close_month()) }}
        when 'adjustment'
            then 'Adjustment for ' || {{ period_key('l.adjusts_period') }} || ': ' || l.metric || ' (' || l.unit || ')'
        when 'commitment'
            then 'Minimum commitment ' || l.reference || ', ' || {{ period_key(close_month()) }}
                 || ': true-up to the monthly minimum'
        when 'credit_note'
            then 'Credit note ' || l.reference || ' (' || l.credit_reason || ') for ' || l.credits_line_key
        else 'Commitment adjustment for ' || {{ period_key('l.adjusts_period') }} || ': minimum commitment '
             || l.reference
    end || coalesce(', ' || l.tier || ' tier', '')
        || coalesce(', promotion ' || l.promotion_id || ' (' || l.percent_off_text || '% off)', '') as description,
    cast(l.quantity as decimal(38, 6)) as quantity,
    cast(l.unit_price as decimal(38, 16)) as unit_price,
    cast(l.amount_minor as bigint) as amount_minor,
    l.currency,
    l.tier,
    l.promotion_id,
    l.reference,
    l.credits_line_key
from lines l
where not (select is_closed from close_state)
