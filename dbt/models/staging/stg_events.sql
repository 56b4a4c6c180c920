{{
    config(
        materialized=incremental_materialization(),
        unique_key='event_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns'
    )
}}
-- Clickstream events parsed from their JSON envelope and payload into typed columns. Malformed
-- lines and lines without the envelope never got past Bronze (see bronze.rejects).
with bronze_events as (
    select * from {{ source('bronze', 'events') }}
),

rows_to_build as (
    {{ bronze_rows_to_build('bronze_events') }}
),

-- One JSON parse per line (into a struct of strings), not one per extracted field.
{%- set envelope_fields = [
    ('event_id', none), ('event_ts', none), ('event_type', none), ('user_id', none), ('session_id', none),
    ('payload', [('url', none), ('referrer', none), ('query', none), ('results', none),
                 ('product_id', none), ('qty', none), ('cart_value', none), ('order_value', none)]),
] %}
envelopes as (
    select
        {{ json_to_struct('json', envelope_fields) }} as envelope,
        ingestion_ts,
        src_filename,
        src_row_hash
    from rows_to_build
),

-- Materialized: the dedup below reads it three times. A value that is present but does not
-- cast stays NULL and flags the event (has_uncastable_value), never silently lost.
{%- set typed_fields = [
    ('envelope.user_id', 'bigint'), ('envelope.payload.results', 'integer'), ('envelope.payload.product_id', 'bigint'),
    ('envelope.payload.qty', 'integer'), ('envelope.payload.cart_value', 'decimal(12, 2)'), ('envelope.payload.order_value', 'decimal(12, 2)'),
] %}
parsed as {{ materialized_cte() }} (
    select
        envelope.event_id,
        cast(envelope.event_ts as {{ timestamptz_type() }}) as event_ts,
        envelope.event_type,
        try_cast(envelope.user_id as bigint) as user_id,
        envelope.session_id,
        envelope.payload.url as page_url,
        envelope.payload.referrer as referrer,
        envelope.payload.query as search_query,
        try_cast(envelope.payload.results as integer) as search_results,
        try_cast(envelope.payload.product_id as bigint) as product_id,
        try_cast(envelope.payload.qty as integer) as qty,
        try_cast(envelope.payload.cart_value as decimal(12, 2)) as cart_value,
        try_cast(envelope.payload.order_value as decimal(12, 2)) as order_value,
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
),

-- The file name and row hash only broke ties in the dedup; Bronze keeps them.
final as (
    select {{ star_except(['src_filename', 'src_row_hash']) }} from latest
)

select * from final
