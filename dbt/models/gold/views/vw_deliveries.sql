{{ config(materialized='view') }}
-- Deliveries with carrier SLA verdicts.
with shipments as (
    select * from {{ ref('fct_shipments') }}
),

stores as (
    select * from {{ ref('dim_store') }}
),

final as (
    select
        shipments.shipment_id as "Shipment",
        shipments.order_number as "Order Number",
        stores.store_name as "Store",
        shipments.carrier as "Carrier",
        {{ utc_date('shipments.shipped_at') }} as "Shipped",
        {{ utc_date('shipments.delivered_at') }} as "Delivered",
        shipments.delivery_days as "Delivery Days",
        shipments.sla_days as "SLA Days",
        case when shipments.is_in_transit then 'In transit' when shipments.on_time_flag then 'On time' else 'Late' end as "Status",
        shipments.shipping_cost as "Shipping Cost"
    from shipments
    left join stores on stores.store_key = shipments.store_key
)

select * from final
