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
    {{ bronze_rows_to_build(source('bronze', 'events')) }}
),

-- One JSON parse per line (json_transform into a struct), not one per extracted field.
envelopes as (
    select
        json_transform(
            json,
            '{"event_id": "VARCHAR", "event_ts": "VARCHAR", "event_type": "VARCHAR", "user_id": "VARCHAR",
              "session_id": "VARCHAR",
              "payload": {"url": "VARCHAR", "referrer": "VARCHAR", "query": "VARCHAR", "results": "VARCHAR",
                          "product_id": "VARCHAR", "qty": "VARCHAR", "cart_value": "VARCHAR", "order_value": "VARCHAR"}}'
        ) as e,
        ingestion_ts,
        src_filename,
        src_row_hash
    from new_rows
),

-- Materialized: the dedup below reads it three times. A value that is present but does not
-- cast stays NULL and flags the event (has_uncastable_value), never silently lost.
{%- set typed_fields = [
    ('e.user_id', 'bigint'), ('e.payload.results', 'integer'), ('e.payload.product_id', 'bigint'),
    ('e.payload.qty', 'integer'), ('e.payload.cart_value', 'decimal(12, 2)'), ('e.payload.order_value', 'decimal(12, 2)'),
] %}
parsed as materialized (
    select
        e.event_id,
        cast(e.event_ts as timestamptz) as event_ts,
        e.event_type,
        try_cast(e.user_id as bigint) as user_id,
        e.session_id,
        e.payload.url as page_url,
        e.payload.referrer as referrer,
        e.payload.query as search_query,
        try_cast(e.payload.results as integer) as search_results,
        try_cast(e.payload.product_id as bigint) as product_id,
        try_cast(e.payload.qty as integer) as qty,
        try_cast(e.payload.cart_value as decimal(12, 2)) as cart_value,
        try_cast(e.payload.order_value as decimal(12, 2)) as order_value,
        {% for field, type in typed_fields -%}
        ({{ field }} is not null and try_cast({{ field }} as {{ type }}) is null){% if not loop.last %} or {% endif %}
        {%- endfor %} as has_uncastable_value,
        ingestion_ts,
        src_filename,
        src_row_hash
    from envelopes
),

latest as (
    {{ latest_rows('parsed', ['event_id']) }}
)

-- The file name and row hash only broke ties in the dedup; Bronze keeps them.
select * exclude (src_filename, src_row_hash) from latest
