//! Orders, their lines, shipments and returns.
//!
//! Order `idx` of (day, part) is a pure function of the seed ([`OrderGen::order`]): day files are
//! written by looping over it, the returns table regenerates the orders it needs, and the
//! duplicate-order anomaly re-creates a neighbouring day's order without generating that day.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::error::ArrowError;
use medallion_schema::{AnomalyKind, Table};
use rand::RngExt;

use crate::dims::picker;
use crate::model::{Model, UNKNOWN_CUSTOMER_BASE, UNKNOWN_PRODUCT_BASE, UNKNOWN_STORE_BASE, currency_index};
use crate::rng::{self, KindPicker, Stream};
use crate::text::{Day, MICROS_PER_DAY, MICROS_PER_SECOND, civil_from_days, push_csv_str, push_date, push_decimal, push_int, push_ts};
use crate::world::{COUNTRIES, COUPONS, PAYMENT_POS, PAYMENT_WEB, RETURN_REASONS, weighted};
use crate::{ArrowRow, Generated, Mark, SourceRow};

/// The base feed is part 0 of a day; a late-arriving file is part 1.
pub const LATE_PART: u32 = 1;
/// Share of a normal day's orders that a late file carries.
const LATE_SHARE: f64 = 0.25;
/// Probability that an order line is returned.
const RETURN_RATE: f64 = 0.0285;
const WEB_SHARE: f64 = 0.35;

/// A row of `orders_header`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderHeader {
    /// `order_id` (see [`order_id`]).
    pub order_id: i64,
    /// When, a UTC instant (microseconds).
    pub order_ts_us: i64,
    /// The store's UTC offset, in which `order_ts` is written.
    pub offset_min: i32,
    /// The store's local date.
    pub order_dt_local: Day,
    /// The customer (unknown with `unknown_customer`).
    pub customer_id: i64,
    /// The store (unknown with `unknown_store`).
    pub store_id: i64,
    /// `web` or `pos`.
    pub channel: &'static str,
    /// How it was paid.
    pub payment_method: &'static str,
    /// A coupon, for some.
    pub coupon_code: Option<&'static str>,
    /// Scale 2.
    pub shipping_fee: i64,
    /// The store's currency.
    pub currency: &'static str,
}

/// A row of `orders_lines`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderLine {
    /// The order.
    pub order_id: i64,
    /// 1-based line number.
    pub line_number: i32,
    /// The product (unknown with `unknown_product`).
    pub product_id: i64,
    /// Quantity (negative with `negative_qty`).
    pub qty: i32,
    /// Scale 4.
    pub unit_price: i64,
    /// Scale 4.
    pub line_discount_pct: i64,
    /// Scale 4.
    pub tax_pct: i64,
}

/// A row of `shipments`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shipment {
    /// `order_id · 10 + 1`.
    pub shipment_id: i64,
    /// The order.
    pub order_id: i64,
    /// Carrier name.
    pub carrier: &'static str,
    /// Dispatch, a UTC instant (microseconds).
    pub shipped_at_us: i64,
    /// Delivery, if delivered by the end of the run.
    pub delivered_at_us: Option<i64>,
    /// Scale 2.
    pub ship_cost: i64,
}

/// A row of `returns`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Return {
    /// `order_id · 100 + line_number`.
    pub return_id: i64,
    /// The order.
    pub order_id: i64,
    /// The product returned.
    pub product_id: i64,
    /// When, a UTC instant (microseconds).
    pub return_ts_us: i64,
    /// Quantity returned.
    pub qty: i32,
    /// Why, in words.
    pub reason: &'static str,
    /// Why, as a code (the column added by the table's schema evolution).
    pub reason_code: &'static str,
}

/// One order with everything that hangs off it; reused between orders to avoid allocation.
#[derive(Debug, Default)]
pub struct Order {
    /// The header.
    pub header: OrderHeader,
    /// The header's anomaly (a duplicate's original carries `duplicate_order_id` but is clean).
    pub header_anomaly: Option<AnomalyKind>,
    /// The lines and their anomalies.
    pub lines: Vec<(OrderLine, Option<AnomalyKind>)>,
    /// The shipment and its anomaly, if dispatched by the end of the run.
    pub shipment: Option<(Shipment, Option<AnomalyKind>)>,
    /// Returns of its lines that have happened by the end of the run.
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
    /// The day.
    pub day: Day,
    /// 0 for the regular feed, 1 for a late file.
    pub part: u32,
    /// Orders in this (day, part).
    pub count: u64,
    /// Generation horizon: nothing happens after it (deliveries, returns).
    as_of_us: i64,
    header_picker: KindPicker,
    line_picker: KindPicker,
    ship_picker: KindPicker,
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
    /// The orders of (`day`, `part`); nothing happens after `as_of` (deliveries, returns).
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
            let anomaly = self.line_picker.pick(idx * 8 + j as u64);
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
        o.header_anomaly = self.header_picker.pick(idx).filter(|k| self.part == 0 || *k != AnomalyKind::DuplicateOrderId);
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
        let ship_anomaly = self.ship_picker.pick(idx);
        let transit_secs = if ship_anomaly == Some(AnomalyKind::LateDelivery) {
            sla_secs + s.random_range(3600..5 * 86_400)
        } else {
            s.random_range(12 * 3600..=sla_secs)
        };
        let ship_cost = carrier.base_cost_cents + 150 * (n_lines as i64 - 1) + s.random_range(0..200);
        o.shipment = None;
        let delivered = shipped_at_us + transit_secs * MICROS_PER_SECOND;
        // A profile without in-transit shipments (`clean`) has the data end before the
        // parcels still travelling at the horizon were dispatched: no shipment row yet.
        let shown = shipped_at_us < self.as_of_us && (delivered < self.as_of_us || model.anomaly_rate(AnomalyKind::InTransit) > 0.0);
        if shown {
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
        self.part == 0 && self.header_picker.pick(idx) == Some(AnomalyKind::DuplicateOrderId)
    }
}

/// `h` as a CSV line (no newline) into `b`.
pub fn push_header(b: &mut Vec<u8>, h: &OrderHeader) {
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

/// `l` as a CSV line (no newline) into `b`.
pub fn push_line(b: &mut Vec<u8>, l: &OrderLine) {
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

/// One row of a day's order files, in the order the files hold them: each order's header, its
/// lines and its shipment, then the orders re-sent from a neighbouring day.
#[derive(Debug, Clone, PartialEq)]
pub enum DayRow {
    /// A row of the day's `orders_header` file.
    Header(Generated<OrderHeader>),
    /// A row of the day's `orders_lines` file.
    Line(Generated<OrderLine>),
    /// A shipment of one of the day's orders (the shipments file covers a month).
    Shipment(Generated<Shipment>),
}

/// Every row of one (day, part) of orders: part 0 is the regular feed (with the orders re-sent
/// from a neighbouring day of the run at its end, and the day's shipments), part 1 a late file
/// (orders and lines only). `run` is the generated range; nothing happens after its end.
pub struct DayOrders<'m> {
    model: &'m Model,
    orders: OrderGen<'m>,
    run: Range<Day>,
    next_idx: u64,
    order: Order,
    /// The next row of the current order: 0 its header, 1..=lines a line, then its shipment;
    /// `None` when the next order is due.
    pos: Option<usize>,
    /// Days whose duplicated orders are re-sent in this file, still to go.
    resend_from: Vec<Day>,
    resending: Option<(OrderGen<'m>, u64)>,
}

impl<'m> DayOrders<'m> {
    /// The rows of `day`, part `part`, of a run over `run`.
    pub fn new(model: &'m Model, day: Day, part: u32, run: Range<Day>) -> Self {
        let orders = OrderGen::new(model, day, part, run.end);
        // Re-sent orders: a day's duplicates land in the next day's file, the last day's in the
        // previous day's. A one-day range has no other file, so no duplicates. Late files have none.
        let mut resend_from = Vec::new();
        if part == 0 {
            let last = run.end - 1;
            if day + 1 == last {
                resend_from.push(last);
            }
            if day > run.start {
                resend_from.push(day - 1);
            }
        }
        DayOrders { model, orders, run, next_idx: 0, order: Order::default(), pos: None, resend_from, resending: None }
    }

    fn next_resent(&mut self) -> Option<DayRow> {
        loop {
            if self.resending.is_none() {
                let src = self.resend_from.pop()?;
                self.resending = Some((OrderGen::new(self.model, src, 0, self.run.end), 0));
            }
            let (g, idx) = self.resending.as_mut().expect("set above");
            while *idx < g.count {
                let i = *idx;
                *idx += 1;
                if g.is_duplicated(i) {
                    g.order(i, &mut self.order);
                    return Some(DayRow::Header(Generated::anomaly(self.order.header, Some(AnomalyKind::DuplicateOrderId))));
                }
            }
            self.resending = None;
        }
    }
}

impl Iterator for DayOrders<'_> {
    type Item = DayRow;

    fn next(&mut self) -> Option<DayRow> {
        loop {
            if let Some(pos) = self.pos {
                let o = &self.order;
                let lines = o.lines.len();
                if pos == 0 {
                    self.pos = Some(1);
                    // A duplicate's original row is clean; the anomaly is its copy in another file.
                    let mark = o.header_anomaly.filter(|k| *k != AnomalyKind::DuplicateOrderId);
                    return Some(DayRow::Header(Generated::anomaly(o.header, mark)));
                }
                if pos <= lines {
                    self.pos = Some(pos + 1);
                    let (line, anomaly) = o.lines[pos - 1];
                    return Some(DayRow::Line(Generated::anomaly(line, anomaly)));
                }
                self.pos = None;
                if let Some((s, anomaly)) = o.shipment.filter(|_| self.orders.part == 0) {
                    return Some(DayRow::Shipment(Generated::anomaly(s, anomaly)));
                }
                continue;
            }
            if self.next_idx < self.orders.count {
                self.orders.order(self.next_idx, &mut self.order);
                self.next_idx += 1;
                self.pos = Some(0);
                continue;
            }
            return self.next_resent();
        }
    }
}

macro_rules! day_table {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $row:ty) => {
        $(#[$doc])*
        pub struct $name<'m>(DayOrders<'m>);

        impl<'m> $name<'m> {
            /// The rows of `day`, part `part`, of a run over `run` (see [`DayOrders`]).
            pub fn new(model: &'m Model, day: Day, part: u32, run: Range<Day>) -> Self {
                $name(DayOrders::new(model, day, part, run))
            }
        }

        impl Iterator for $name<'_> {
            type Item = Generated<$row>;

            fn next(&mut self) -> Option<Self::Item> {
                self.0.by_ref().find_map(|r| match r {
                    DayRow::$variant(g) => Some(g),
                    _ => None,
                })
            }
        }
    };
}

day_table!(
    /// The rows of one day's `orders_header` file (re-sent duplicates at the end).
    ///
    /// ```
    /// use medallion_gen::{model::Model, orders::OrderHeaders, text::parse_date};
    /// let day = parse_date("2024-05-01").unwrap();
    /// let model = Model::new(42, 0.01, day + 3);
    /// let headers: Vec<_> = OrderHeaders::new(&model, day + 1, 0, day..day + 3).collect();
    /// assert!(headers.len() as u64 >= model.orders_on(day + 1));
    /// ```
    OrderHeaders,
    Header,
    OrderHeader
);
day_table!(
    /// The rows of one day's `orders_lines` file.
    OrderLines,
    Line,
    OrderLine
);
day_table!(
    /// The shipments of one day's orders (dispatched before the run's end).
    Shipments,
    Shipment,
    Shipment
);

impl SourceRow for OrderHeader {
    const TABLE: Table = Table::OrdersHeader;
    fn truth_key(&self, _: Mark) -> String {
        self.order_id.to_string()
    }
}

impl SourceRow for OrderLine {
    const TABLE: Table = Table::OrdersLines;
    fn truth_key(&self, _: Mark) -> String {
        format!("{}|{}", self.order_id, self.line_number)
    }
}

impl SourceRow for Shipment {
    const TABLE: Table = Table::Shipments;
    fn truth_key(&self, _: Mark) -> String {
        self.shipment_id.to_string()
    }
}

impl SourceRow for Return {
    const TABLE: Table = Table::Returns;
    fn truth_key(&self, _: Mark) -> String {
        self.return_id.to_string()
    }
}

/// A decimal column of `precision` and `scale` from unscaled values.
fn decimals(values: impl Iterator<Item = Option<i64>>, precision: u8, scale: i8) -> Result<Arc<Decimal128Array>, ArrowError> {
    Ok(Arc::new(Decimal128Array::from_iter(values.map(|v| v.map(i128::from))).with_precision_and_scale(precision, scale)?))
}

impl ArrowRow for OrderHeader {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.order_id))),
                Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.order_ts_us))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.order_dt_local))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.customer_id))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.store_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.channel))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.payment_method))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.coupon_code))),
                decimals(rows.iter().map(|r| Some(r.shipping_fee)), 12, 2)?,
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.currency))),
            ],
        )
    }
}

impl ArrowRow for OrderLine {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.order_id))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.line_number))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.product_id))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.qty))),
                decimals(rows.iter().map(|r| Some(r.unit_price)), 12, 4)?,
                decimals(rows.iter().map(|r| Some(r.line_discount_pct)), 5, 4)?,
                decimals(rows.iter().map(|r| Some(r.tax_pct)), 5, 4)?,
            ],
        )
    }
}

impl ArrowRow for Shipment {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.shipment_id))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.order_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.carrier))),
                Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.shipped_at_us))),
                Arc::new(TimestampMicrosecondArray::from_iter(rows.iter().map(|r| r.delivered_at_us))),
                decimals(rows.iter().map(|r| Some(r.ship_cost)), 12, 2)?,
            ],
        )
    }
}
