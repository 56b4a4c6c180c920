{{ config(materialized='view') }}
-- Deliveries with carrier SLA verdicts.
select
    f.shipment_id as "Shipment",
    f.order_number as "Order Number",
    s.store_name as "Store",
    f.carrier as "Carrier",
    {{ utc_date('f.shipped_at') }} as "Shipped",
    {{ utc_date('f.delivered_at') }} as "Delivered",
    f.delivery_days as "Delivery Days",
    f.sla_days as "SLA Days",
    case when f.is_in_transit then 'In transit' when f.on_time_flag then 'On time' else 'Late' end as "Status",
    f.shipping_cost as "Shipping Cost"
from {{ ref('fct_shipments') }} f
left join {{ ref('dim_store') }} s on s.store_key = f.store_key
