{{ config(tags=['post_close']) }}
{#- Every landed usage file that could not be read at all (SPEC §3, §6). -#}
select landing_date, source_file, reason
from {{ ref('stg_landing__rejected_files') }}
