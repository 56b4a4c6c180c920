{{ config(materialized='view') }}
-- Sales for business users: one row per order line, friendly names, no technical columns.
with sales as (
    select * from {{ ref('fct_sales') }}
),

dates as (
    select * from {{ ref('dim_date') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

stores as (
    select * from {{ ref('dim_store') }}
),

product_versions as (
    select * from {{ ref('dim_product_scd') }}
),

final as (
    select
        sales.order_number as "Order Number",
        sales.line_number as "Line",
        dates.date_day as "Order Date",
        dates.fiscal_year as "Fiscal Year",
        customers.first_name || ' ' || customers.last_name as "Customer",
        customers.segment as "Customer Segment",
        stores.store_name as "Store",
        stores.region as "Region",
        sales.channel as "Channel",
        product_versions.product_name as "Product",
        product_versions.category as "Category",
        sales.quantity as "Quantity",
        sales.unit_price as "Unit Price",
        sales.discount_amount as "Discount",
        sales.tax_amount as "Tax",
        sales.net_amount as "Net Amount",
        sales.currency as "Currency",
        sales.net_amount_aud as "Net Amount (AUD)"
    from sales
    left join dates on dates.date_key = sales.date_key
    left join customers on customers.customer_key = sales.customer_key
    left join stores on stores.store_key = sales.store_key
    left join product_versions on product_versions.product_key = sales.product_key
)

select * from final
