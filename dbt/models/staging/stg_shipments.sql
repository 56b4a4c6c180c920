{{
    config(
        materialized='incremental',
        unique_key='shipment_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Shipments with delivery time against the carrier's SLA (seed carrier_sla). In-transit
-- shipments have no delivered_at and no on-time verdict yet.
with new_rows as (
    {{ bronze_rows_to_build(source('bronze', 'shipments'), ['shipment_id']) }}
),

latest as (
    {{ latest_rows('new_rows', ['shipment_id']) }}
),

timed as (
    select *, {{ seconds_between('shipped_at', 'delivered_at') }} as delivery_seconds
    from latest
)

select
    s.shipment_id,
    s.order_id,
    trim(s.carrier) as carrier,
    s.shipped_at,
    s.delivered_at,
    s.ship_cost,
    sla.sla_days,
    s.delivered_at is null as is_in_transit,
    round(s.delivery_seconds / 86400.0, 2) as delivery_days,
    case when s.delivered_at is not null then s.delivery_seconds <= sla.sla_days * 86400 end as is_on_time,
    coalesce(s.delivery_seconds > sla.sla_days * 86400, false) as is_late,
    s.ingestion_ts
from timed s
left join {{ ref('carrier_sla') }} sla on sla.carrier = trim(s.carrier)
