{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Orders, one row per order_id. A re-sent order (the same order_id in two files) keeps its
-- latest copy and is flagged with the number of copies Bronze holds; nothing is dropped
-- silently. Incremental on the set of Bronze loads already seen (macro bronze_rows_to_build), so
-- late and replayed files land, and unknown-member flags are rechecked every run.
with new_rows as (
    {{ bronze_rows_to_build(source('bronze', 'orders_header'), ['order_id'], recheck='has_unknown_customer or has_unknown_store') }}
),

latest as (
    {{ latest_rows('new_rows', ['order_id']) }}
),

copies as (
    select order_id, count(*) as source_copies
    from {{ source('bronze', 'orders_header') }}
    where order_id in (select order_id from latest)
    group by order_id
)

select
    o.order_id,
    o.order_ts,
    o.order_dt_local,
    o.customer_id,
    o.store_id,
    lower({{ clean_text('o.channel') }}) as channel,
    lower({{ clean_text('o.payment_method') }}) as payment_method,
    {{ clean_text('o.coupon_code') }} as coupon_code,
    coalesce(o.shipping_fee, 0) as shipping_fee,
    o.shipping_fee is null as is_missing_shipping_fee,
    upper({{ clean_text('o.currency') }}) as currency,
    c.source_copies,
    c.source_copies > 1 as is_resent,
    o.customer_id is null or not exists (select 1 from {{ ref('stg_customers') }} k where k.customer_id = o.customer_id) as has_unknown_customer,
    o.store_id is null or not exists (select 1 from {{ ref('stg_stores') }} s where s.store_id = o.store_id) as has_unknown_store,
    o.ingestion_ts
from latest o
join copies c using (order_id)
