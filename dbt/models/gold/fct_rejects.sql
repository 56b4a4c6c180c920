-- One row per raw row Bronze quarantined (bronze.rejects): which file, line and source table,
-- why (reason code and words), and when it was loaded. No date key: a load happens on the
-- wall clock's day, outside the business calendar dim_date spans. The raw text stays in
-- Bronze: a rejected customer row can hold personal data, and Gold is GDPR-scanned.
with rejected_rows as (
    select * from {{ source('bronze', 'rejects') }}
),

processed_files as (
    select * from {{ source('medallion', 'manifest_processed_files') }}
),

final as (
    select
        rejected_rows.src_filename,
        rejected_rows.src_line,
        rejected_rows.ingestion_ts,
        coalesce(processed_files.table_name, split_part(rejected_rows.src_filename, '/', 1)) as table_name,
        rejected_rows.reason_code,
        rejected_rows.reason
    from rejected_rows
    left join processed_files on processed_files.src_path = rejected_rows.src_filename
)

select * from final
