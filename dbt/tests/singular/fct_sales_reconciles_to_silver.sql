-- Gold fct_sales holds exactly the Silver order lines (unknown members included): same row
-- count and the same net total. Returns a row when they differ.
with silver as (
    select count(*) as n, coalesce(sum(net_amount), 0) as net from {{ ref('stg_orders_lines') }}
),
gold as (
    select count(*) as n, coalesce(sum(net_amount), 0) as net from {{ ref('fct_sales') }}
)
select silver.n as silver_rows, gold.n as gold_rows, silver.net as silver_net, gold.net as gold_net
from silver, gold
where silver.n <> gold.n or silver.net <> gold.net
