{{ config(materialized='view') }}
-- Ingestion health per source table.
with processed_files as (
    select * from {{ ref('fct_ingestion_audit') }}
),

final as (
    select
        table_name as "Source Table",
        count(*) as "Files",
        sum(rows_read) as "Rows Read",
        sum(rows_loaded) as "Rows Loaded",
        sum(rows_rejected) as "Rows Rejected",
        round(sum(rows_rejected) / nullif(sum(rows_read), 0), 6) as "Rejection Rate",
        count(*) filter (where status = 'failed') as "Failed Files",
        max(processed_at) as "Last Load"
    from processed_files
    group by table_name
)

select * from final
