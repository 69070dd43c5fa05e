{{ config(tags=['post_close']) }}
{#- One row per emitted invoice (SPEC §5.11, §6), from the emitted lines. -#}
{{ invoices_of(ref('fct_invoice_lines')) }}
