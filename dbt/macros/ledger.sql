{# The ledger file holds what must never be rebuilt (SPEC §6). dbt only creates
   its tables when missing; rows are appended by the close's emission step and
   never updated or deleted. #}
{% macro create_ledger_tables() %}
    create table if not exists ledger.main.invoice_lines (
        invoice_period date not null,
        billing_account_id varchar not null,
        billing_account_type varchar not null,
        line_key varchar not null,
        line_type varchar not null,
        adjusts_period date,
        metric varchar not null,
        description varchar not null,
        quantity decimal(38, 6) not null,
        unit_price decimal(38, 16) not null,
        amount_minor bigint not null,
        currency varchar not null,
        tier varchar,
        emitted_at timestamp not null,
        run_id varchar not null
    );
    create table if not exists ledger.main.statement_rows (
        line_key varchar not null,
        invoice_period date not null,
        billing_account_id varchar not null,
        service_period date not null,
        line_type varchar not null,
        metric varchar not null,
        partner_id varchar not null,
        tenant_id varchar not null,
        quantity decimal(38, 6) not null,
        currency varchar not null,
        tier varchar,
        list_unit_price decimal(38, 16) not null,
        wholesale_unit_price decimal(38, 16) not null,
        retail_unit_price decimal(38, 16) not null,
        wholesale_amount_minor bigint not null,
        retail_amount_minor bigint not null,
        margin_amount_minor bigint not null,
        emitted_at timestamp not null,
        run_id varchar not null
    );
    create table if not exists ledger.main.partner_snapshots (
        close_month date not null,
        partner_id varchar not null,
        name varchar,
        parent_partner_id varchar,
        bills_via_parent boolean,
        currency varchar,
        country varchar,
        tier_floor varchar,
        stripe_customer_id varchar
    );
    create table if not exists ledger.main.tenant_snapshots (
        close_month date not null,
        tenant_id varchar not null,
        name varchar,
        currency varchar,
        country varchar,
        external_ref varchar,
        stripe_customer_id varchar,
        created_at date
    );
    create table if not exists ledger.main.closes (
        close_month date not null,
        closed_at timestamp not null,
        run_id varchar not null,
        invoice_lines integer not null,
        statement_rows integer not null
    );
{% endmacro %}
