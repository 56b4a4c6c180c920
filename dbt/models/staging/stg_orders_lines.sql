{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'line_number'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Order lines with their amounts in the order's currency. Unknown products, negative
-- quantities, zero prices and missing tax or discount percentages are flagged, never dropped.
with new_rows as (
    {{ bronze_rows_to_build(source('bronze', 'orders_lines'), ['order_id', 'line_number'], recheck='has_unknown_product') }}
),

latest as (
    {{ latest_rows('new_rows', ['order_id', 'line_number']) }}
)

select
    l.order_id,
    l.line_number,
    l.product_id,
    l.qty,
    l.unit_price,
    coalesce(l.line_discount_pct, 0) as line_discount_pct,
    coalesce(l.tax_pct, 0) as tax_pct,
    cast(l.qty * l.unit_price as decimal(18, 4)) as line_total,
    cast(l.qty * l.unit_price * coalesce(l.line_discount_pct, 0) as decimal(18, 4)) as discount_amount,
    cast(l.qty * l.unit_price * (1 - coalesce(l.line_discount_pct, 0)) * coalesce(l.tax_pct, 0) as decimal(18, 4)) as tax_amount,
    cast(l.qty * l.unit_price * (1 - coalesce(l.line_discount_pct, 0)) as decimal(18, 4)) as net_amount,
    l.product_id is null or not exists (select 1 from {{ ref('stg_products') }} p where p.product_id = l.product_id) as has_unknown_product,
    coalesce(l.qty < 0, false) as is_negative_qty,
    coalesce(l.unit_price = 0, false) as is_zero_price,
    -- Missing percentages are computed as 0 % and flagged, never silently filled.
    l.tax_pct is null as is_missing_tax,
    l.line_discount_pct is null as is_missing_discount,
    l.ingestion_ts
from latest l
