{{ config(materialized='view') }}
-- Sales for business users: one row per order line, friendly names, no technical columns.
select
    f.order_number as "Order Number",
    f.line_number as "Line",
    d.date_day as "Order Date",
    d.fiscal_year as "Fiscal Year",
    c.first_name || ' ' || c.last_name as "Customer",
    c.segment as "Customer Segment",
    s.store_name as "Store",
    s.region as "Region",
    f.channel as "Channel",
    p.product_name as "Product",
    p.category as "Category",
    f.quantity as "Quantity",
    f.unit_price as "Unit Price",
    f.discount_amount as "Discount",
    f.tax_amount as "Tax",
    f.net_amount as "Net Amount",
    f.currency as "Currency",
    f.net_amount_aud as "Net Amount (AUD)"
from {{ ref('fct_sales') }} f
left join {{ ref('dim_date') }} d on d.date_key = f.date_key
left join {{ ref('dim_customer') }} c on c.customer_key = f.customer_key
left join {{ ref('dim_store') }} s on s.store_key = f.store_key
left join {{ ref('dim_product_scd') }} p on p.product_key = f.product_key
