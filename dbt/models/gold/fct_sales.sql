-- Sales at order-line grain. Every Silver order line is here exactly once: lines whose
-- order, customer, store or product is unknown point at the unknown member instead of being
-- lost. Amounts are in the order's currency and in AUD, at the latest rate on or before the
-- order's local date (rates are not published every day); a line with no such rate keeps NULL
-- AUD amounts and is flagged has_missing_rate, never summed as if it were zero.
with order_lines as (
    select * from {{ ref('stg_orders_lines') }}
),

lines_with_unknown_product as (
    select * from {{ ref('int_order_lines_with_unknown_product') }}
),

order_headers as (
    select * from {{ ref('stg_orders_header') }}
),

exchange_rates as (
    select * from {{ ref('stg_exchange_rates') }}
),

customers as (
    select * from {{ ref('dim_customer') }} where not is_unknown_member
),

stores as (
    select * from {{ ref('dim_store') }} where not is_unknown_member
),

product_versions as (
    select * from {{ ref('dim_product_scd') }} where not is_unknown_member
),

-- Order-level lookups once per order, not once per line. Dimension keys by lookup: a missing
-- member becomes the unknown member, never a lost row.
orders as (
    select
        order_headers.order_id,
        order_headers.order_ts,
        order_headers.order_dt_local,
        order_headers.channel,
        order_headers.currency,
        coalesce({{ date_key('order_headers.order_dt_local') }}, -1) as date_key,
        coalesce(customers.customer_key, {{ unknown_key() }}) as customer_key,
        coalesce(stores.store_key, {{ unknown_key() }}) as store_key,
        case when order_headers.currency = 'AUD' then 1 else exchange_rates.rate_to_aud end as rate_to_aud
    from order_headers
    {{ asof_left_join('exchange_rates', 'exchange_rates', 'exchange_rates.currency = order_headers.currency',
                      'rate_date', 'order_headers.order_dt_local', partition_by=['currency']) }}
    left join customers on customers.customer_id = order_headers.customer_id
    left join stores on stores.store_id = order_headers.store_id
),

final as (
    select
        order_lines.order_id as order_number,
        order_lines.line_number,
        coalesce(orders.date_key, -1) as date_key,
        coalesce(orders.customer_key, {{ unknown_key() }}) as customer_key,
        coalesce(orders.store_key, {{ unknown_key() }}) as store_key,
        coalesce(product_versions.product_key, {{ unknown_key() }}) as product_key,
        orders.order_ts,
        orders.channel,
        orders.currency,
        order_lines.qty as quantity,
        order_lines.unit_price,
        order_lines.line_total,
        order_lines.discount_amount,
        order_lines.tax_amount,
        order_lines.net_amount,
        orders.rate_to_aud,
        cast(order_lines.line_total * orders.rate_to_aud as decimal(18, 4)) as line_total_aud,
        cast(order_lines.discount_amount * orders.rate_to_aud as decimal(18, 4)) as discount_amount_aud,
        cast(order_lines.tax_amount * orders.rate_to_aud as decimal(18, 4)) as tax_amount_aud,
        cast(order_lines.net_amount * orders.rate_to_aud as decimal(18, 4)) as net_amount_aud,
        orders.rate_to_aud is null as has_missing_rate,
        lines_with_unknown_product.order_id is not null as has_unknown_product,
        order_lines.is_negative_qty,
        order_lines.is_zero_price,
        orders.order_id is null as has_unknown_order
    from order_lines
    left join orders on orders.order_id = order_lines.order_id
    left join lines_with_unknown_product
        on lines_with_unknown_product.order_id = order_lines.order_id
        and lines_with_unknown_product.line_number = order_lines.line_number
    -- The product version of the order's local date (the basis of date_key): versions take
    -- effect at midnight of a business date, so an order meets the version valid at the start
    -- of its day.
    left join product_versions
        on product_versions.product_id = order_lines.product_id
        and cast(orders.order_dt_local as timestamp) >= product_versions.valid_from
        and cast(orders.order_dt_local as timestamp) < product_versions.valid_to
)

select * from final
