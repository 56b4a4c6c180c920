-- Gold facts hold exactly the Silver rows they come from (unknown members included):
--   fct_sales           = stg_orders_lines           (rows and net total)
--   fct_shipments       = stg_shipments              (rows and shipping cost)
--   fct_returns         = stg_returns, live ones     (rows and quantity)
--   fct_sensor_readings = stg_sensors, hourly        (readings summed back)
-- One row per fact that disagrees.
select 'fct_sales' as fact, s.n as silver_rows, g.n as gold_rows, s.total as silver_total, g.total as gold_total
from (select count(*) as n, coalesce(sum(net_amount), 0) as total from {{ ref('stg_orders_lines') }}) s,
     (select count(*) as n, coalesce(sum(net_amount), 0) as total from {{ ref('fct_sales') }}) g
where s.n <> g.n or s.total <> g.total
union all
select 'fct_shipments', s.n, g.n, s.total, g.total
from (select count(*) as n, coalesce(sum(ship_cost), 0) as total from {{ ref('stg_shipments') }}) s,
     (select count(*) as n, coalesce(sum(shipping_cost), 0) as total from {{ ref('fct_shipments') }}) g
where s.n <> g.n or s.total <> g.total
union all
select 'fct_returns', s.n, g.n, s.total, g.total
from (select count(*) as n, coalesce(sum(qty), 0) as total from {{ ref('stg_returns') }} where not is_deleted) s,
     (select count(*) as n, coalesce(sum(quantity), 0) as total from {{ ref('fct_returns') }}) g
where s.n <> g.n or s.total <> g.total
union all
select 'fct_sensor_readings', s.n, g.n, s.n, g.n
from (select count(*) as n from {{ ref('stg_sensors') }}) s,
     (select coalesce(sum(readings), 0) as n from {{ ref('fct_sensor_readings') }}) g
where s.n <> g.n
