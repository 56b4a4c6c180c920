{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Clickstream events parsed from their JSON envelope and payload into typed columns. Malformed
-- lines and lines without the envelope never got past Bronze (see bronze.rejects).
with new_rows as (
    select * from {{ source('bronze', 'events') }}
    {{ after_watermark() }}
),

parsed as (
    select
        json_extract_string(json, '$.event_id') as event_id,
        cast(json_extract_string(json, '$.event_ts') as timestamptz) as event_ts,
        json_extract_string(json, '$.event_type') as event_type,
        try_cast(json_extract_string(json, '$.user_id') as bigint) as user_id,
        json_extract_string(json, '$.session_id') as session_id,
        json_extract_string(json, '$.payload.url') as page_url,
        json_extract_string(json, '$.payload.referrer') as referrer,
        json_extract_string(json, '$.payload.query') as search_query,
        try_cast(json_extract_string(json, '$.payload.results') as integer) as search_results,
        try_cast(json_extract_string(json, '$.payload.product_id') as bigint) as product_id,
        try_cast(json_extract_string(json, '$.payload.qty') as integer) as qty,
        try_cast(json_extract_string(json, '$.payload.cart_value') as decimal(12, 2)) as cart_value,
        try_cast(json_extract_string(json, '$.payload.order_value') as decimal(12, 2)) as order_value,
        ingestion_ts,
        src_filename
    from new_rows
)

select * from parsed
qualify {{ latest_by(['event_id']) }}
