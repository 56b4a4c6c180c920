{{ config(materialized='view') }}
-- Ingestion health per source table.
with processed_files as (
    select * from {{ ref('fct_ingestion_audit') }}
),

final as (
    select
        table_name as {{ adapter.quote('Source Table') }},
        count(*) as {{ adapter.quote('Files') }},
        sum(rows_read) as {{ adapter.quote('Rows Read') }},
        sum(rows_loaded) as {{ adapter.quote('Rows Loaded') }},
        sum(rows_rejected) as {{ adapter.quote('Rows Rejected') }},
        round(sum(rows_rejected) / nullif(sum(rows_read), 0), 6) as {{ adapter.quote('Rejection Rate') }},
        count(*) filter (where status = 'failed') as {{ adapter.quote('Failed Files') }},
        max(processed_at) as {{ adapter.quote('Last Load') }}
    from processed_files
    group by table_name
)

select * from final
