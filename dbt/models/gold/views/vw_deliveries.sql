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
        shipments.shipment_id as {{ adapter.quote('Shipment') }},
        shipments.order_number as {{ adapter.quote('Order Number') }},
        stores.store_name as {{ adapter.quote('Store') }},
        shipments.carrier as {{ adapter.quote('Carrier') }},
        {{ utc_date('shipments.shipped_at') }} as {{ adapter.quote('Shipped') }},
        {{ utc_date('shipments.delivered_at') }} as {{ adapter.quote('Delivered') }},
        shipments.delivery_days as {{ adapter.quote('Delivery Days') }},
        shipments.sla_days as {{ adapter.quote('SLA Days') }},
        case when shipments.is_in_transit then 'In transit' when shipments.on_time_flag then 'On time' else 'Late' end as {{ adapter.quote('Status') }},
        shipments.shipping_cost as {{ adapter.quote('Shipping Cost') }}
    from shipments
    left join stores on stores.store_key = shipments.store_key
)

select * from final
