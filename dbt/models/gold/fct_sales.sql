-- Sales at order-line grain. Every Silver order line is here exactly once: lines whose
-- order, customer, store or product is unknown point at the unknown member instead of being
-- lost. Amounts are in the order's currency and in AUD, at the latest rate on or before the
-- order's local date (rates are not published every day); a line with no such rate keeps NULL
-- AUD amounts and is flagged has_missing_rate, never summed as if it were zero.
with lines as (
    select * from {{ ref('stg_orders_lines') }}
),

-- Order-level lookups once per order, not once per line. Dimension keys by lookup: a missing
-- member becomes the unknown member, never a lost row.
orders as (
    select
        o.order_id,
        o.order_ts,
        o.order_dt_local,
        o.channel,
        o.currency,
        coalesce({{ date_key('o.order_dt_local') }}, -1) as date_key,
        coalesce(c.customer_key, {{ unknown_key() }}) as customer_key,
        coalesce(s.store_key, {{ unknown_key() }}) as store_key,
        case when o.currency = 'AUD' then 1 else r.rate_to_aud end as rate_to_aud
    from {{ ref('stg_orders_header') }} o
    asof left join {{ ref('stg_exchange_rates') }} r on r.currency = o.currency and r.rate_date <= o.order_dt_local
    left join {{ ref('dim_customer') }} c on c.customer_id = o.customer_id and not c.is_unknown_member
    left join {{ ref('dim_store') }} s on s.store_id = o.store_id and not s.is_unknown_member
)

select
    l.order_id as order_number,
    l.line_number,
    coalesce(o.date_key, -1) as date_key,
    coalesce(o.customer_key, {{ unknown_key() }}) as customer_key,
    coalesce(o.store_key, {{ unknown_key() }}) as store_key,
    coalesce(p.product_key, {{ unknown_key() }}) as product_key,
    o.order_ts,
    o.channel,
    o.currency,
    l.qty as quantity,
    l.unit_price,
    l.line_total,
    l.discount_amount,
    l.tax_amount,
    l.net_amount,
    o.rate_to_aud,
    cast(l.line_total * o.rate_to_aud as decimal(18, 4)) as line_total_aud,
    cast(l.discount_amount * o.rate_to_aud as decimal(18, 4)) as discount_amount_aud,
    cast(l.tax_amount * o.rate_to_aud as decimal(18, 4)) as tax_amount_aud,
    cast(l.net_amount * o.rate_to_aud as decimal(18, 4)) as net_amount_aud,
    o.rate_to_aud is null as has_missing_rate,
    l.has_unknown_product,
    l.is_negative_qty,
    l.is_zero_price,
    o.order_id is null as has_unknown_order
from lines l
left join orders o on o.order_id = l.order_id
-- The product version of the order's local date (the basis of date_key): versions take effect
-- at midnight of a business date, so an order meets the version valid at the start of its day.
left join {{ ref('dim_product_scd') }} p
    on p.product_id = l.product_id
    and not p.is_unknown_member
    and cast(o.order_dt_local as timestamp) >= p.valid_from and cast(o.order_dt_local as timestamp) < p.valid_to
