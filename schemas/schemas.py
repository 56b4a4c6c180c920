"""Canonical schemas of medallion's eleven raw sources, as PyArrow schemas.

This file is the one definition of the raw tables. The Rust crate `medallion-schema` parses it
(a small, strict reader of exactly the forms used below), and Python users can import it as it is.
Every other place — generator, Bronze, dbt sources — derives its column lists from here.

Schema metadata (all values are strings) describes how each table lands in `data_raw/`:

- `format`        csv | jsonl | xlsx | parquet | delta
- `path`          path pattern under data_raw/ of a base run; `{date}` is YYYY-MM-DD, `{month}`
                  YYYY-MM, `{part:05}` a part number zero-padded to 5 digits, `{store_id}` a store key,
                  `{from}`/`{to}` the first and last day a file covers
- `increment_path` where an increment run writes changes of a snapshot-style source (optional)
- `primary_key`   comma-separated key columns (never null in a valid row)
- `natural_key`   business key, where the source has one besides its surrogate key (optional)
- `partition_by`  Hive-style partition columns of the raw layout (optional)
- `required_json_fields` envelope fields every JSON line must carry (events only)

Edit with care: a change here changes the generator's output, Bronze's checks and the dbt sources.
"""

import pyarrow as pa

customers = pa.schema(
    [
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("natural_key", pa.string(), nullable=False),
        pa.field("first_name", pa.string()),
        pa.field("last_name", pa.string()),
        pa.field("email", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("address_line1", pa.string()),
        pa.field("address_line2", pa.string()),
        pa.field("city", pa.string()),
        pa.field("state_region", pa.string()),
        pa.field("postcode", pa.string()),
        pa.field("country_code", pa.string()),
        pa.field("latitude", pa.float64()),
        pa.field("longitude", pa.float64()),
        pa.field("birth_date", pa.date32()),
        pa.field("join_ts", pa.timestamp("us")),
        pa.field("is_vip", pa.bool_()),
        pa.field("gdpr_consent", pa.bool_()),
    ],
    metadata={
        "format": "csv",
        "path": "customers.csv",
        "increment_path": "customers_increments/{from}_{to}.csv",
        "primary_key": "customer_id",
        "natural_key": "natural_key",
    },
)

products = pa.schema(
    [
        pa.field("product_id", pa.int64(), nullable=False),
        pa.field("sku", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("category", pa.string()),
        pa.field("subcategory", pa.string()),
        pa.field("current_price", pa.decimal128(12, 4)),
        pa.field("currency", pa.string()),
        pa.field("is_discontinued", pa.bool_()),
        pa.field("introduced_dt", pa.date32()),
        pa.field("discontinued_dt", pa.date32()),
    ],
    metadata={
        "format": "csv",
        "path": "products.csv",
        "increment_path": "products_increments/{from}_{to}.csv",
        "primary_key": "product_id",
        "natural_key": "sku",
    },
)

stores = pa.schema(
    [
        pa.field("store_id", pa.int64(), nullable=False),
        pa.field("store_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("region", pa.string()),
        pa.field("state", pa.string()),
        pa.field("latitude", pa.float64()),
        pa.field("longitude", pa.float64()),
        pa.field("open_dt", pa.date32()),
        pa.field("close_dt", pa.date32()),
    ],
    metadata={
        "format": "csv",
        "path": "stores.csv",
        "primary_key": "store_id",
    },
)

suppliers = pa.schema(
    [
        pa.field("supplier_id", pa.int64(), nullable=False),
        pa.field("supplier_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("country_code", pa.string()),
        pa.field("lead_time_days", pa.int32()),
        pa.field("preferred", pa.bool_()),
    ],
    metadata={
        "format": "csv",
        "path": "suppliers.csv",
        "primary_key": "supplier_id",
    },
)

orders_header = pa.schema(
    [
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("order_ts", pa.timestamp("us")),
        pa.field("order_dt_local", pa.date32()),
        pa.field("customer_id", pa.int64()),
        pa.field("store_id", pa.int64()),
        pa.field("channel", pa.string()),
        pa.field("payment_method", pa.string()),
        pa.field("coupon_code", pa.string()),
        pa.field("shipping_fee", pa.decimal128(12, 2)),
        pa.field("currency", pa.string()),
    ],
    metadata={
        "format": "csv",
        "path": "orders_header/order_dt={date}/part-{part:05}.csv",
        "primary_key": "order_id",
        "partition_by": "order_dt",
    },
)

orders_lines = pa.schema(
    [
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("line_number", pa.int32(), nullable=False),
        pa.field("product_id", pa.int64()),
        pa.field("qty", pa.int32()),
        pa.field("unit_price", pa.decimal128(12, 4)),
        pa.field("line_discount_pct", pa.decimal128(5, 4)),
        pa.field("tax_pct", pa.decimal128(5, 4)),
    ],
    metadata={
        "format": "csv",
        "path": "orders_lines/order_dt={date}/part-{part:05}.csv",
        "primary_key": "order_id,line_number",
        "partition_by": "order_dt",
    },
)

events = pa.schema(
    [
        pa.field("json", pa.string(), nullable=False),
    ],
    metadata={
        "format": "jsonl",
        "path": "events/event_dt={date}/events_{part:04}.jsonl",
        "primary_key": "event_id",
        "partition_by": "event_dt",
        "required_json_fields": "event_id,event_ts,event_type,user_id,session_id",
    },
)

sensors = pa.schema(
    [
        pa.field("sensor_ts", pa.timestamp("us"), nullable=False),
        pa.field("store_id", pa.int64(), nullable=False),
        pa.field("shelf_id", pa.string(), nullable=False),
        pa.field("temperature_c", pa.decimal128(5, 2)),
        pa.field("humidity_pct", pa.decimal128(5, 2)),
        pa.field("battery_mv", pa.int32()),
    ],
    metadata={
        "format": "csv",
        "path": "sensors/store_id={store_id}/month={month}/sensors.csv",
        "primary_key": "store_id,shelf_id,sensor_ts",
        "partition_by": "store_id,month",
    },
)

exchange_rates = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("rate_to_aud", pa.decimal128(18, 8)),
    ],
    metadata={
        "format": "xlsx",
        "path": "exchange_rates.xlsx",
        "increment_path": "exchange_rates_increments/{from}_{to}.xlsx",
        "primary_key": "date,currency",
    },
)

shipments = pa.schema(
    [
        pa.field("shipment_id", pa.int64(), nullable=False),
        pa.field("order_id", pa.int64()),
        pa.field("carrier", pa.string()),
        pa.field("shipped_at", pa.timestamp("us")),
        pa.field("delivered_at", pa.timestamp("us")),
        pa.field("ship_cost", pa.decimal128(12, 2)),
    ],
    metadata={
        "format": "parquet",
        "path": "shipments/shipments_{from}_{to}.parquet",
        "primary_key": "shipment_id",
    },
)

returns = pa.schema(
    [
        pa.field("return_id", pa.int64(), nullable=False),
        pa.field("order_id", pa.int64()),
        pa.field("product_id", pa.int64()),
        pa.field("return_ts", pa.timestamp("us")),
        pa.field("qty", pa.int32()),
        pa.field("reason", pa.string()),
    ],
    metadata={
        "format": "delta",
        "path": "returns",
        "primary_key": "return_id",
    },
)

# Schema evolution of returns: a later Delta version adds these columns (null in older rows).
returns_evolved = returns.append(pa.field("return_reason_code", pa.string()))

# The eleven raw tables, in the order the product documents them.
RAW_TABLES = [
    customers,
    products,
    stores,
    suppliers,
    orders_header,
    orders_lines,
    events,
    sensors,
    exchange_rates,
    shipments,
    returns,
]
