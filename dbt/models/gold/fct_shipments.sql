-- Shipments with cost, delivery days and the carrier SLA verdict.
with shipments as (
    select * from {{ ref('stg_shipments') }}
),

order_headers as (
    select * from {{ ref('stg_orders_header') }}
),

stores as (
    select * from {{ ref('dim_store') }} where not is_unknown_member
),

final as (
    select
        shipments.shipment_id,
        shipments.order_id as order_number,
        coalesce({{ date_key(utc_date('shipments.shipped_at')) }}, -1) as ship_date_key,
        coalesce(stores.store_key, {{ unknown_key() }}) as store_key,
        shipments.carrier,
        shipments.shipped_at,
        shipments.delivered_at,
        shipments.ship_cost as shipping_cost,
        shipments.delivery_days,
        shipments.sla_days,
        shipments.is_in_transit,
        shipments.is_on_time as on_time_flag,
        shipments.is_late
    from shipments
    left join order_headers on order_headers.order_id = shipments.order_id
    left join stores on stores.store_id = order_headers.store_id
)

select * from final
