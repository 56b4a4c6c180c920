-- One row per raw file Bronze processed (from the manifest).
with processed_files as (
    select * from {{ source('medallion', 'manifest_processed_files') }}
),

final as (
    select
        src_path,
        table_name,
        status,
        rows_read,
        rows_loaded,
        rows_rejected,
        case when rows_read > 0 then round(rows_rejected / rows_read, 6) else 0 end as rejection_rate,
        bytes,
        seconds,
        batch_id,
        processed_at,
        message
    from processed_files
)

select * from final
