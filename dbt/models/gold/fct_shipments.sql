-- Shipments with cost, delivery days and the carrier SLA verdict.
select
    s.shipment_id,
    s.order_id as order_number,
    coalesce({{ date_key(utc_date('s.shipped_at')) }}, -1) as ship_date_key,
    coalesce(st.store_key, {{ unknown_key() }}) as store_key,
    s.carrier,
    s.shipped_at,
    s.delivered_at,
    s.ship_cost as shipping_cost,
    s.delivery_days,
    s.sla_days,
    s.is_in_transit,
    s.is_on_time as on_time_flag,
    s.is_late
from {{ ref('stg_shipments') }} s
left join {{ ref('stg_orders_header') }} o on o.order_id = s.order_id
left join {{ ref('dim_store') }} st on st.store_id = o.store_id and not st.is_unknown_member
