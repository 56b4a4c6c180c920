{{
    config(
        materialized=incremental_materialization(),
        unique_key=['order_id', 'line_number'],
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns'
    )
}}
-- Order lines with their amounts in the order's currency. Negative quantities, zero prices and
-- missing tax or discount percentages are flagged, never dropped; whether the product exists
-- is int_order_lines_with_unknown_product's question, answered on every run.
with bronze_lines as (
    select * from {{ source('bronze', 'orders_lines') }}
),

rows_to_build as (
    {{ bronze_rows_to_build('bronze_lines', ['order_id', 'line_number']) }}
),

latest as (
    {{ latest_rows('rows_to_build', ['order_id', 'line_number']) }}
),

final as (
    select
        order_id,
        line_number,
        product_id,
        qty,
        unit_price,
        coalesce(line_discount_pct, 0) as line_discount_pct,
        coalesce(tax_pct, 0) as tax_pct,
        cast(qty * unit_price as decimal(18, 4)) as line_total,
        cast(qty * unit_price * coalesce(line_discount_pct, 0) as decimal(18, 4)) as discount_amount,
        cast(qty * unit_price * (1 - coalesce(line_discount_pct, 0)) * coalesce(tax_pct, 0) as decimal(18, 4)) as tax_amount,
        cast(qty * unit_price * (1 - coalesce(line_discount_pct, 0)) as decimal(18, 4)) as net_amount,
        coalesce(qty < 0, false) as is_negative_qty,
        coalesce(unit_price = 0, false) as is_zero_price,
        -- Missing percentages are computed as 0 % and flagged, never silently filled.
        tax_pct is null as is_missing_tax,
        line_discount_pct is null as is_missing_discount,
        ingestion_ts
    from latest
)

select * from final
