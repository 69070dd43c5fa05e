{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__partners'}}}) }}
-- A returned row is an id in an account, pricing or billing file outside the id pattern
-- of SPEC §2, with its file, data row, column and value. Blocks the close
-- before anything is emitted: ids name statement files and Stripe objects,
-- and an emitted line is never changed.
with ids as (
    select 'accounts/partners.csv' as file, source_row, 'partner_id' as column_name, partner_id as value
    from {{ ref('stg_landing__partners') }}
    union all
    select 'accounts/partners.csv', source_row, 'parent_partner_id', parent_partner_id
    from {{ ref('stg_landing__partners') }}
    union all
    select 'accounts/tenants.csv', source_row, 'tenant_id', tenant_id
    from {{ ref('stg_landing__tenants') }}
    union all
    select 'accounts/assignments.csv', source_row, 'tenant_id', tenant_id
    from {{ ref('stg_landing__assignments') }}
    union all
    select 'accounts/assignments.csv', source_row, 'partner_id', partner_id
    from {{ ref('stg_landing__assignments') }}
    union all
    select 'pricing/partner_rate_cards.csv', source_row, 'partner_id', partner_id
    from {{ ref('stg_landing__partner_rate_cards') }}
    union all
    select 'pricing/partner_retail_prices.csv', source_row, 'partner_id', partner_id
    from {{ ref('stg_landing__partner_retail_prices') }}
    union all
    select 'pricing/partner_markups.csv', source_row, 'partner_id', partner_id
    from {{ ref('stg_landing__partner_markups') }}
    union all
    select 'billing/promotions.csv', source_row, 'promotion_id', promotion_id
    from {{ ref('stg_landing__promotions') }}
    union all
    select 'billing/promotions.csv', source_row, 'billing_account_id', billing_account_id
    from {{ ref('stg_landing__promotions') }}
    union all
    select 'billing/commitments.csv', source_row, 'commitment_id', commitment_id
    from {{ ref('stg_landing__commitments') }}
    union all
    select 'billing/commitments.csv', source_row, 'billing_account_id', billing_account_id
    from {{ ref('stg_landing__commitments') }}
    union all
    select 'billing/credit_notes.csv', source_row, 'credit_note_id', credit_note_id
    from {{ ref('stg_landing__credit_notes') }}
    union all
    select 'billing/credit_purchases.csv', source_row, 'purchase_id', purchase_id
    from {{ ref('stg_landing__credit_purchases') }}
    union all
    select 'billing/credit_transfers.csv', source_row, 'transfer_id', transfer_id
    from {{ ref('stg_landing__credit_transfers') }}
    union all
    select 'billing/credit_top_ups.csv', source_row, 'rule_id', rule_id
    from {{ ref('stg_landing__credit_top_ups') }}
)

select file, source_row, column_name, value
from ids
where value is not null and not regexp_full_match(value, '{{ var("id_pattern") }}')
