//! Orders, their lines, shipments and returns.
//!
//! Order `idx` of (day, part) is a pure function of the seed ([`OrderGen::order`]): day files are
//! written by looping over it, the returns table regenerates the orders it needs, and the
//! duplicate-order anomaly re-creates a neighbouring day's order without generating that day.

use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder};
use medallion_schema::{AnomalyKind, PathVars, Table, render_path};
use rand::RngExt;

use crate::dims::picker;
use crate::model::{Model, UNKNOWN_CUSTOMER_BASE, UNKNOWN_PRODUCT_BASE, UNKNOWN_STORE_BASE, currency_index};
use crate::rng::{self, AnomalyPicker, Stream};
use crate::sink::TextSink;
use crate::text::{
    Day, MICROS_PER_DAY, MICROS_PER_SECOND, civil_from_days, date_string, push_csv_str, push_date, push_decimal, push_int, push_ts,
};
use crate::world::{COUNTRIES, COUPONS, PAYMENT_POS, PAYMENT_WEB, RETURN_REASONS, weighted};
use crate::{Ctx, GenError, UnitOutput};

/// The base feed is part 0 of a day; a late-arriving file is part 1.
pub const LATE_PART: u32 = 1;
/// Share of a normal day's orders that a late file carries.
const LATE_SHARE: f64 = 0.25;
/// Probability that an order line is returned.
const RETURN_RATE: f64 = 0.0285;
const WEB_SHARE: f64 = 0.35;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderHeader {
    pub order_id: i64,
    pub order_ts_us: i64,
    pub offset_min: i32,
    pub order_dt_local: Day,
    pub customer_id: i64,
    pub store_id: i64,
    pub channel: &'static str,
    pub payment_method: &'static str,
    pub coupon_code: Option<&'static str>,
    /// Scale 2.
    pub shipping_fee: i64,
    pub currency: &'static str,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderLine {
    pub order_id: i64,
    pub line_number: i32,
    pub product_id: i64,
    pub qty: i32,
    /// Scale 4.
    pub unit_price: i64,
    /// Scale 4.
    pub line_discount_pct: i64,
    /// Scale 4.
    pub tax_pct: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shipment {
    pub shipment_id: i64,
    pub order_id: i64,
    pub carrier: &'static str,
    pub shipped_at_us: i64,
    pub delivered_at_us: Option<i64>,
    /// Scale 2.
    pub ship_cost: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Return {
    pub return_id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub return_ts_us: i64,
    pub qty: i32,
    pub reason: &'static str,
    pub reason_code: &'static str,
}

/// One order with everything that hangs off it; reused between orders to avoid allocation.
#[derive(Debug, Default)]
pub struct Order {
    pub header: OrderHeader,
    pub header_anomaly: Option<AnomalyKind>,
    pub lines: Vec<(OrderLine, Option<AnomalyKind>)>,
    pub shipment: Option<(Shipment, Option<AnomalyKind>)>,
    pub returns: Vec<Return>,
}

/// `yyyymmdd·10^8 + part·10^7 + idx + 1`: readable, and unique across runs and increments.
pub fn order_id(day: Day, part: u32, idx: u64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    (y as i64 * 10_000 + m as i64 * 100 + d as i64) * 100_000_000 + part as i64 * 10_000_000 + idx as i64 + 1
}

/// Generates the orders of one (day, part).
pub struct OrderGen<'m> {
    model: &'m Model,
    pub day: Day,
    pub part: u32,
    /// Orders in this (day, part).
    pub count: u64,
    /// Generation horizon: nothing happens after it (deliveries, returns).
    as_of_us: i64,
    header_picker: (AnomalyPicker, Vec<AnomalyKind>),
    line_picker: (AnomalyPicker, Vec<AnomalyKind>),
    ship_picker: (AnomalyPicker, Vec<AnomalyKind>),
}

fn hour_weights(web: bool) -> &'static [(u32, u32); 24] {
    const WEB: [(u32, u32); 24] = [
        (0, 3),
        (1, 2),
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 2),
        (6, 3),
        (7, 4),
        (8, 5),
        (9, 5),
        (10, 5),
        (11, 5),
        (12, 6),
        (13, 5),
        (14, 5),
        (15, 5),
        (16, 5),
        (17, 5),
        (18, 6),
        (19, 7),
        (20, 8),
        (21, 8),
        (22, 6),
        (23, 4),
    ];
    const POS: [(u32, u32); 24] = [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 1),
        (8, 3),
        (9, 6),
        (10, 8),
        (11, 9),
        (12, 10),
        (13, 9),
        (14, 8),
        (15, 8),
        (16, 8),
        (17, 9),
        (18, 8),
        (19, 6),
        (20, 3),
        (21, 1),
        (22, 0),
        (23, 0),
    ];
    if web { &WEB } else { &POS }
}

impl<'m> OrderGen<'m> {
    pub fn new(model: &'m Model, day: Day, part: u32, as_of: Day) -> Self {
        let count = if part == 0 { model.orders_on(day) } else { (model.orders_on(day) as f64 * LATE_SHARE).ceil() as u64 };
        let chunk = (day as u64) << 8 | part as u64;
        OrderGen {
            model,
            day,
            part,
            count,
            as_of_us: as_of as i64 * MICROS_PER_DAY,
            header_picker: picker(model, Table::OrdersHeader, chunk),
            line_picker: picker(model, Table::OrdersLines, chunk),
            ship_picker: picker(model, Table::Shipments, chunk),
        }
    }

    /// Fills `o` with order `idx`.
    pub fn order(&self, idx: u64, o: &mut Order) {
        let model = self.model;
        let seed = model.seed;
        let chunk = (self.day as u64) << 8 | self.part as u64;
        let mut r = rng::rng(seed, Stream::Order, chunk, idx);
        let order_id = order_id(self.day, self.part, idx);
        let web = r.random_bool(WEB_SHARE);
        let store = model.pick_store(&mut r, web, self.day);
        let country = &COUNTRIES[store.country];
        let state = &country.states[store.state];
        let customer = model.pick_customer(&mut r, self.day);
        let hours = hour_weights(web);
        let hour = weighted(hours, r.random_range(0..hours.iter().map(|h| h.1).sum::<u32>()));
        let local_secs = hour as i64 * 3600 + r.random_range(0..3600);
        let offset_min = store.offset_min();
        let order_ts_us = (self.day as i64 * 86_400 + local_secs - offset_min as i64 * 60) * MICROS_PER_SECOND;
        let payment_method =
            if web { weighted(&PAYMENT_WEB, r.random_range(0..100)) } else { weighted(&PAYMENT_POS, r.random_range(0..100)) };
        let coupon_code = r.random_bool(0.12).then(|| COUPONS[r.random_range(0..COUPONS.len())]);
        let currency = country.currency;
        let rate = model.fx_rate(self.day, currency_index(currency));

        // Lines: 1 + Binomial(6, 0.42) ≈ 3.5 per order.
        let n_lines = 1 + (0..6).filter(|_| r.random_bool(0.42)).count();
        o.lines.clear();
        let mut subtotal_cents = 0i64;
        for j in 0..n_lines {
            let p = model.pick_product(&mut r, self.day);
            let qty = if r.random_bool(0.72) { 1 } else { r.random_range(2..=5) };
            let cents = ((p.price_aud as f64 / 100.0 / rate).round() as i64).max(1);
            let discount = if r.random_bool(0.82) { 0 } else { [500, 1000, 1500, 2000, 2500, 5000][r.random_range(0..6)] };
            let mut line = OrderLine {
                order_id,
                line_number: j as i32 + 1,
                product_id: p.id,
                qty,
                unit_price: cents * 100,
                line_discount_pct: discount,
                tax_pct: state.tax_bp,
            };
            subtotal_cents += cents * qty as i64 * (10_000 - discount) / 10_000;
            let anomaly = self.line_picker.0.pick(idx * 8 + j as u64).map(|k| self.line_picker.1[k]);
            match anomaly {
                Some(AnomalyKind::UnknownProduct) => line.product_id = UNKNOWN_PRODUCT_BASE + r.random_range(1..1_000_000),
                Some(AnomalyKind::NegativeQty) => line.qty = -r.random_range(1..=3),
                Some(AnomalyKind::ZeroPrice) => line.unit_price = 0,
                _ => {}
            }
            o.lines.push((line, anomaly));
        }
        let shipping_fee = if web && subtotal_cents < 10_000 { 995 } else { 0 };
        o.header = OrderHeader {
            order_id,
            order_ts_us,
            offset_min,
            order_dt_local: self.day,
            customer_id: customer.id,
            store_id: store.id,
            channel: if web { "web" } else { "pos" },
            payment_method,
            coupon_code,
            shipping_fee,
            currency,
        };
        // Late files carry no duplicate-order anomaly: duplicates live in the regular feed.
        o.header_anomaly = self
            .header_picker
            .0
            .pick(idx)
            .map(|k| self.header_picker.1[k])
            .filter(|k| self.part == 0 || *k != AnomalyKind::DuplicateOrderId);
        match o.header_anomaly {
            Some(AnomalyKind::UnknownCustomer) => o.header.customer_id = UNKNOWN_CUSTOMER_BASE + r.random_range(1..1_000_000),
            Some(AnomalyKind::UnknownStore) => o.header.store_id = UNKNOWN_STORE_BASE + r.random_range(1..1_000_000),
            _ => {}
        }

        // Shipment: dispatched 2–48 h after the order, delivered within the carrier's SLA unless
        // late; nothing after the horizon exists yet.
        let mut s = rng::rng(seed, Stream::Shipment, chunk, idx);
        let carrier = &country.carriers[s.random_range(0..country.carriers.len())];
        let shipped_at_us = order_ts_us + s.random_range(2 * 3600..48 * 3600) * MICROS_PER_SECOND;
        let sla_secs = carrier.sla_days * 86_400;
        let ship_anomaly = self.ship_picker.0.pick(idx).map(|k| self.ship_picker.1[k]);
        let transit_secs = if ship_anomaly == Some(AnomalyKind::LateDelivery) {
            sla_secs + s.random_range(3600..5 * 86_400)
        } else {
            s.random_range(12 * 3600..=sla_secs)
        };
        let ship_cost = carrier.base_cost_cents + 150 * (n_lines as i64 - 1) + s.random_range(0..200);
        o.shipment = None;
        if shipped_at_us < self.as_of_us {
            let delivered = shipped_at_us + transit_secs * MICROS_PER_SECOND;
            let (delivered_at_us, anomaly) = if ship_anomaly == Some(AnomalyKind::InTransit) || delivered >= self.as_of_us {
                (None, Some(AnomalyKind::InTransit))
            } else {
                (Some(delivered), ship_anomaly)
            };
            o.shipment = Some((
                Shipment { shipment_id: order_id * 10 + 1, order_id, carrier: carrier.name, shipped_at_us, delivered_at_us, ship_cost },
                anomaly,
            ));
        }

        // Returns: only of clean, delivered lines, and only once they have happened.
        o.returns.clear();
        if let Some((Shipment { delivered_at_us: Some(delivered), .. }, _)) = o.shipment {
            let mut q = rng::rng(seed, Stream::Return, chunk, idx);
            for (line, anomaly) in &o.lines {
                if anomaly.is_some() || !q.random_bool(RETURN_RATE) {
                    continue;
                }
                let return_ts_us = delivered + q.random_range(6 * 3600..30 * 86_400) * MICROS_PER_SECOND;
                let (reason, reason_code) = RETURN_REASONS[q.random_range(0..RETURN_REASONS.len())];
                let qty = q.random_range(1..=line.qty);
                if return_ts_us < self.as_of_us {
                    o.returns.push(Return {
                        return_id: order_id * 100 + line.line_number as i64,
                        order_id,
                        product_id: line.product_id,
                        return_ts_us,
                        qty,
                        reason,
                        reason_code,
                    });
                }
            }
        }
    }

    /// Whether order `idx` of this (day, part) is copied into another day's file.
    pub fn is_duplicated(&self, idx: u64) -> bool {
        self.part == 0 && self.header_picker.0.pick(idx).map(|k| self.header_picker.1[k]) == Some(AnomalyKind::DuplicateOrderId)
    }
}

fn push_header(b: &mut Vec<u8>, h: &OrderHeader) {
    push_int(b, h.order_id);
    b.push(b',');
    push_ts(b, h.order_ts_us, h.offset_min);
    b.push(b',');
    push_date(b, h.order_dt_local);
    b.push(b',');
    push_int(b, h.customer_id);
    b.push(b',');
    push_int(b, h.store_id);
    b.push(b',');
    b.extend_from_slice(h.channel.as_bytes());
    b.push(b',');
    b.extend_from_slice(h.payment_method.as_bytes());
    b.push(b',');
    if let Some(c) = h.coupon_code {
        push_csv_str(b, c);
    }
    b.push(b',');
    push_decimal(b, h.shipping_fee, 2);
    b.push(b',');
    b.extend_from_slice(h.currency.as_bytes());
}

fn push_line(b: &mut Vec<u8>, l: &OrderLine) {
    push_int(b, l.order_id);
    b.push(b',');
    push_int(b, l.line_number as i64);
    b.push(b',');
    push_int(b, l.product_id);
    b.push(b',');
    push_int(b, l.qty as i64);
    b.push(b',');
    push_decimal(b, l.unit_price, 4);
    b.push(b',');
    push_decimal(b, l.line_discount_pct, 4);
    b.push(b',');
    push_decimal(b, l.tax_pct, 4);
}

fn day_path(table: Table, day: Day, part: u32) -> Result<String, GenError> {
    let date = date_string(day);
    Ok(render_path(&table.raw().path, &PathVars { date: Some(&date), part: Some(part), ..Default::default() })?)
}

/// Accumulates a file's shipments as Arrow columns.
struct ShipmentColumns {
    id: Int64Builder,
    order_id: Int64Builder,
    carrier: StringBuilder,
    shipped_at: TimestampMicrosecondBuilder,
    delivered_at: TimestampMicrosecondBuilder,
    cost: Decimal128Builder,
}

impl ShipmentColumns {
    fn new() -> Self {
        ShipmentColumns {
            id: Int64Builder::new(),
            order_id: Int64Builder::new(),
            carrier: StringBuilder::new(),
            shipped_at: TimestampMicrosecondBuilder::new(),
            delivered_at: TimestampMicrosecondBuilder::new(),
            cost: Decimal128Builder::new().with_precision_and_scale(12, 2).expect("valid decimal"),
        }
    }

    fn push(&mut self, s: &Shipment) {
        self.id.append_value(s.shipment_id);
        self.order_id.append_value(s.order_id);
        self.carrier.append_value(s.carrier);
        self.shipped_at.append_value(s.shipped_at_us);
        self.delivered_at.append_option(s.delivered_at_us);
        self.cost.append_value(s.ship_cost as i128);
    }

    /// The canonical schema without its descriptive metadata.
    fn schema() -> arrow::datatypes::SchemaRef {
        Arc::new(Table::Shipments.schema().as_ref().clone().with_metadata(Default::default()))
    }

    fn finish(mut self) -> Result<RecordBatch, GenError> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.order_id.finish()),
            Arc::new(self.carrier.finish()),
            Arc::new(self.shipped_at.finish()),
            Arc::new(self.delivered_at.finish()),
            Arc::new(self.cost.finish()),
        ];
        RecordBatch::try_new(Self::schema(), cols).map_err(|source| GenError::Arrow { table: Table::Shipments, source })
    }
}

/// Shipments of one file, with their positions for the ground truth; a day's worth of rows is
/// buffered as Arrow columns, then streamed to the Parquet file.
struct ShipmentFile {
    rel: String,
    columns: ShipmentColumns,
    sink: medallion_delta::ParquetFile,
    rows: u64,
}

impl ShipmentFile {
    fn flush(&mut self) -> Result<(), GenError> {
        let columns = std::mem::replace(&mut self.columns, ShipmentColumns::new());
        let batch = columns.finish()?;
        if batch.num_rows() > 0 {
            self.sink.write(&batch)?;
        }
        Ok(())
    }
}

/// Writes the orders and lines of one (day, part) file pair; shipments go to `ships` if given.
fn write_day_files(
    ctx: &Ctx<'_>,
    g: &OrderGen<'_>,
    out: &mut UnitOutput,
    mut ships: Option<&mut ShipmentFile>,
) -> Result<(TextSink, TextSink), GenError> {
    let cfg = ctx.cfg;
    let mut headers = TextSink::csv(&cfg.out, day_path(Table::OrdersHeader, g.day, g.part)?, Table::OrdersHeader)?;
    let mut lines = TextSink::csv(&cfg.out, day_path(Table::OrdersLines, g.day, g.part)?, Table::OrdersLines)?;
    let mut order = Order::default();
    for idx in 0..g.count {
        g.order(idx, &mut order);
        // A duplicate's original row is clean; the anomaly is its copy in another file.
        if let Some(k) = order.header_anomaly.filter(|k| *k != AnomalyKind::DuplicateOrderId) {
            out.truth.push(Table::OrdersHeader, k.code(), order.header.order_id.to_string(), &headers.rel, headers.next_line_no());
        }
        push_header(&mut headers.line, &order.header);
        headers.end_line()?;
        for (line, anomaly) in &order.lines {
            if let Some(k) = anomaly {
                let key = format!("{}|{}", line.order_id, line.line_number);
                out.truth.push(Table::OrdersLines, k.code(), key, &lines.rel, lines.next_line_no());
            }
            push_line(&mut lines.line, line);
            lines.end_line()?;
        }
        if let (Some(file), Some((s, anomaly))) = (ships.as_deref_mut(), &order.shipment) {
            if let Some(k) = anomaly {
                out.truth.push(Table::Shipments, k.code(), s.shipment_id.to_string(), &file.rel, file.rows);
            }
            file.columns.push(s);
            file.rows += 1;
        }
    }
    Ok((headers, lines))
}

/// Days `from..to` (within the run's range): one header and one lines file per day, and one
/// shipments file for the segment.
pub fn write_orders(ctx: &Ctx<'_>, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let (cfg, model) = (ctx.cfg, ctx.model);
    let (first, last) = (cfg.start, cfg.end() - 1);
    let (a, b) = (date_string(from), date_string(to - 1));
    let rel = render_path(&Table::Shipments.raw().path, &PathVars { from: Some(&a), to: Some(&b), ..Default::default() })?;
    let options = medallion_delta::FileOptions {
        zstd_level: 3,
        max_row_group_rows: 128 * 1024,
        created_by: "medallion-gen".into(),
        // Unique ids gain nothing from a dictionary and its hash table costs memory.
        no_dictionary: vec!["shipment_id".into(), "order_id".into()],
        ..Default::default()
    };
    let sink = medallion_delta::ParquetFile::create(&cfg.out.join(&rel), ShipmentColumns::schema(), &options)?;
    let mut ships = ShipmentFile { rel, columns: ShipmentColumns::new(), sink, rows: 0 };
    let mut order = Order::default();
    for day in from..to {
        let g = OrderGen::new(model, day, 0, cfg.end());
        let (mut headers, lines) = write_day_files(ctx, &g, out, Some(&mut ships))?;
        // Re-sent orders: a day's duplicates land in the next day's file, the last day's in the
        // previous day's. A one-day range has no other file, so no duplicates.
        let mut sources = Vec::new();
        if day > first {
            sources.push(day - 1);
        }
        if day + 1 == last {
            sources.push(last);
        }
        for src in sources {
            let sg = OrderGen::new(model, src, 0, cfg.end());
            for idx in (0..sg.count).filter(|i| sg.is_duplicated(*i)) {
                sg.order(idx, &mut order);
                let key = order.header.order_id.to_string();
                out.truth.push(Table::OrdersHeader, AnomalyKind::DuplicateOrderId.code(), key, &headers.rel, headers.next_line_no());
                push_header(&mut headers.line, &order.header);
                headers.end_line()?;
            }
        }
        out.close(ctx, Table::OrdersHeader, headers)?;
        out.close(ctx, Table::OrdersLines, lines)?;
        ships.flush()?;
    }
    let bytes = ships.sink.close()?;
    out.add_file(Table::Shipments, ships.rows, bytes);
    ctx.progress.rows(Table::Shipments, ships.rows);
    Ok(())
}

/// A late file: part 1 of the day before the increment, carrying orders and their lines only
/// (their shipments are not in this feed).
pub fn write_late_orders(ctx: &Ctx<'_>, day: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let g = OrderGen::new(ctx.model, day, LATE_PART, ctx.cfg.end());
    let (headers, lines) = write_day_files(ctx, &g, out, None)?;
    out.close(ctx, Table::OrdersHeader, headers)?;
    out.close(ctx, Table::OrdersLines, lines)
}
