-- Returns in their current state. Cancelled returns (deleted at the source) are kept as
-- tombstones with is_deleted, so history stays auditable; Gold counts only live ones.
with bronze_returns as (
    select * from {{ source('bronze', 'returns') }}
),

final as (
    select
        return_id,
        order_id,
        product_id,
        return_ts,
        qty,
        lower({{ clean_text('reason') }}) as reason,
        upper({{ clean_text('return_reason_code') }}) as return_reason_code,
        coalesce(is_deleted, false) as is_deleted,
        src_version,
        src_change,
        ingestion_ts
    from bronze_returns
)

select * from final
