-- Every rejected raw row is in Gold once: fct_rejects counts, per source table, what the
-- manifest says Bronze rejected (fct_ingestion_audit.rows_rejected). One row per table that
-- disagrees.
with rejected as (
    select table_name, count(*) as rows_in_rejects from {{ ref('fct_rejects') }} group by table_name
),

audited as (
    select table_name, sum(rows_rejected) as rows_in_audit from {{ ref('fct_ingestion_audit') }} group by table_name
),

final as (
    select
        coalesce(rejected.table_name, audited.table_name) as table_name,
        coalesce(rows_in_rejects, 0) as rows_in_rejects,
        coalesce(rows_in_audit, 0) as rows_in_audit
    from rejected
    full outer join audited on audited.table_name = rejected.table_name
)

select * from final where rows_in_rejects <> rows_in_audit
