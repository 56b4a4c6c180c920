{{
    config(
        materialized=incremental_materialization(),
        unique_key='shipment_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns'
    )
}}
-- Shipments with delivery time against the carrier's SLA (seed carrier_sla). In-transit
-- shipments have no delivered_at and no on-time verdict yet.
with bronze_shipments as (
    select * from {{ source('bronze', 'shipments') }}
),

carrier_slas as (
    select * from {{ ref('carrier_sla') }}
),

rows_to_build as (
    {{ bronze_rows_to_build('bronze_shipments', ['shipment_id']) }}
),

latest as (
    {{ latest_rows('rows_to_build', ['shipment_id']) }}
),

timed as (
    select *, {{ seconds_between('shipped_at', 'delivered_at') }} as delivery_seconds
    from latest
),

final as (
    select
        timed.shipment_id,
        timed.order_id,
        trim(timed.carrier) as carrier,
        timed.shipped_at,
        timed.delivered_at,
        timed.ship_cost,
        carrier_slas.sla_days,
        timed.delivered_at is null as is_in_transit,
        round(timed.delivery_seconds / 86400.0, 2) as delivery_days,
        case when timed.delivered_at is not null then timed.delivery_seconds <= carrier_slas.sla_days * 86400 end as is_on_time,
        coalesce(timed.delivery_seconds > carrier_slas.sla_days * 86400, false) as is_late,
        timed.ingestion_ts
    from timed
    left join carrier_slas on carrier_slas.carrier = trim(timed.carrier)
)

select * from final
