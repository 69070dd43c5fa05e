{#- The invoices the close of the month being closed would emit (SPEC §5.11), from its proposed lines. -#}
{{ invoices_of(ref('fct_proposed_invoice_lines')) }}
