//! Clickstream events: one JSON object per line, grouped in sessions that walk a shopping funnel.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringBuilder};
use arrow::error::ArrowError;
use medallion_schema::{AnomalyKind, Table};
use rand::RngExt;

use crate::dims::picker;
use crate::model::Model;
use crate::rng::{self, KindPicker, Stream};
use crate::text::{Day, MICROS_PER_SECOND, civil_from_days, push_decimal, push_int, push_padded, push_ts};
use crate::world::{CATEGORIES, COUNTRIES};
use crate::{ArrowRow, Generated, Mark, SourceRow};

const SEARCH_TERMS: [&str; 10] = [
    "running shoes",
    "coffee beans",
    "usb c cable",
    "yoga mat",
    "gift ideas",
    "kids toys",
    "olive oil",
    "rain jacket",
    "desk lamp",
    "headphones",
];
const REFERRERS: [&str; 5] = ["google", "direct", "instagram", "email", "facebook"];

/// What happened: an event's type and its payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload {
    /// A category page (index into the world's categories) reached from a referrer.
    PageView {
        /// Category index.
        category: usize,
        /// Referrer index.
        referrer: usize,
    },
    /// A product page.
    ProductView {
        /// The product viewed.
        product_id: i64,
    },
    /// A search and how many results it found.
    Search {
        /// Search term index.
        term: usize,
        /// Results shown.
        results: u32,
    },
    /// A product put in the cart.
    AddToCart {
        /// The product.
        product_id: i64,
        /// How many.
        qty: u32,
    },
    /// The cart taken to checkout (AUD cents).
    Checkout {
        /// Cart value in cents.
        cart_cents: i64,
    },
    /// The purchase (AUD cents).
    Purchase {
        /// Order value in cents.
        order_cents: i64,
    },
}

impl Payload {
    /// The `event_type` envelope value.
    pub fn event_type(&self) -> &'static str {
        match self {
            Payload::PageView { .. } => "page_view",
            Payload::ProductView { .. } => "product_view",
            Payload::Search { .. } => "search",
            Payload::AddToCart { .. } => "add_to_cart",
            Payload::Checkout { .. } => "checkout",
            Payload::Purchase { .. } => "purchase",
        }
    }

    /// The payload object as JSON into `b`.
    pub fn push_json(&self, b: &mut Vec<u8>) {
        match *self {
            Payload::PageView { category, referrer } => {
                b.extend_from_slice(b"{\"url\":\"/c/");
                b.extend_from_slice(CATEGORIES[category].name.to_ascii_lowercase().as_bytes());
                b.extend_from_slice(b"\",\"referrer\":\"");
                b.extend_from_slice(REFERRERS[referrer].as_bytes());
                b.extend_from_slice(b"\"}");
            }
            Payload::ProductView { product_id } => {
                b.extend_from_slice(b"{\"product_id\":");
                push_int(b, product_id);
                b.push(b'}');
            }
            Payload::Search { term, results } => {
                b.extend_from_slice(b"{\"query\":\"");
                b.extend_from_slice(SEARCH_TERMS[term].as_bytes());
                b.extend_from_slice(b"\",\"results\":");
                push_int(b, results as i64);
                b.push(b'}');
            }
            Payload::AddToCart { product_id, qty } => {
                b.extend_from_slice(b"{\"product_id\":");
                push_int(b, product_id);
                b.extend_from_slice(b",\"qty\":");
                push_int(b, qty as i64);
                b.push(b'}');
            }
            Payload::Checkout { cart_cents } => {
                b.extend_from_slice(b"{\"cart_value\":");
                push_decimal(b, cart_cents, 2);
                b.push(b'}');
            }
            Payload::Purchase { order_cents } => {
                b.extend_from_slice(b"{\"order_value\":");
                push_decimal(b, order_cents, 2);
                b.push(b'}');
            }
        }
    }
}

/// The envelope fields, in the order they are written; one may be left out by an anomaly.
const ENVELOPE: [&str; 5] = ["event_id", "event_ts", "event_type", "user_id", "session_id"];

/// `yyyymmdd_` of an id.
fn push_day_digits(b: &mut Vec<u8>, (y, m, d): (i32, u32, u32)) {
    push_padded(b, y as u64, 4);
    push_padded(b, m as u64, 2);
    push_padded(b, d as u64, 2);
    b.push(b'_');
}

/// One clickstream event, as its line says it (anomaly included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// The event's day (its id and session id carry the date).
    pub day: Day,
    /// Its number within the day: `event_id` is `evt_yyyymmdd_nnnnnnn`, computed so increments
    /// never collide.
    pub seq: u64,
    /// Its session's number within the day: `session_id` is `ses_yyyymmdd_nnnnnn`.
    pub session_no: u64,
    /// When, as a UTC instant (microseconds).
    pub ts_us: i64,
    /// The user's UTC offset, in which `event_ts` is written.
    pub offset_min: i32,
    /// The customer.
    pub user_id: i64,
    /// Type and payload.
    pub payload: Payload,
    /// The envelope field a `missing_envelope_field` anomaly leaves out (index into
    /// `event_id, event_ts, event_type, user_id, session_id`).
    pub missing_field: Option<usize>,
    /// A `malformed_json` line, cut short as a crashed writer would leave it.
    pub truncated: bool,
}

impl Event {
    /// `evt_yyyymmdd_nnnnnnn`.
    pub fn event_id(&self) -> String {
        let (y, m, d) = civil_from_days(self.day);
        format!("evt_{y:04}{m:02}{d:02}_{:07}", self.seq)
    }

    /// `ses_yyyymmdd_nnnnnn`.
    pub fn session_id(&self) -> String {
        let (y, m, d) = civil_from_days(self.day);
        format!("ses_{y:04}{m:02}{d:02}_{:06}", self.session_no)
    }

    /// The event's JSON line (no newline) into `b`.
    pub fn push_json(&self, b: &mut Vec<u8>) {
        let start = b.len();
        let (y, m, d) = civil_from_days(self.day);
        b.push(b'{');
        let mut first = true;
        for (i, name) in ENVELOPE.iter().enumerate() {
            if Some(i) == self.missing_field {
                continue;
            }
            if !first {
                b.push(b',');
            }
            first = false;
            b.push(b'"');
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(b"\":");
            match i {
                0 => {
                    b.extend_from_slice(b"\"evt_");
                    push_day_digits(b, (y, m, d));
                    push_padded(b, self.seq, 7);
                    b.push(b'"');
                }
                1 => {
                    b.push(b'"');
                    push_ts(b, self.ts_us, self.offset_min);
                    b.push(b'"');
                }
                2 => {
                    b.push(b'"');
                    b.extend_from_slice(self.payload.event_type().as_bytes());
                    b.push(b'"');
                }
                3 => push_int(b, self.user_id),
                _ => {
                    b.extend_from_slice(b"\"ses_");
                    push_day_digits(b, (y, m, d));
                    push_padded(b, self.session_no, 6);
                    b.push(b'"');
                }
            }
        }
        b.extend_from_slice(b",\"payload\":");
        self.payload.push_json(b);
        b.push(b'}');
        if self.truncated {
            let keep = (b.len() - start) * 2 / 3;
            b.truncate(start + keep);
        }
    }
}

/// The events of one day, in file order: sessions walking a shopping funnel (browse → view →
/// cart → checkout → purchase, with drop-outs).
///
/// ```
/// use medallion_gen::{events::Events, model::Model, text::parse_date};
/// let day = parse_date("2024-05-01").unwrap();
/// let model = Model::new(42, 0.01, day + 1);
/// let events: Vec<_> = Events::new(&model, day).collect();
/// assert_eq!(events.len() as u64, model.events_on(day));
/// assert!(events[0].row.event_id().starts_with("evt_20240501_"));
/// ```
pub struct Events<'m> {
    model: &'m Model,
    day: Day,
    picker: KindPicker,
    r: rng::Rng,
    total: u64,
    seq: u64,
    session_no: u64,
    // The current session.
    left: u64,
    user_id: i64,
    offset_min: i32,
    ts_us: i64,
    cart_cents: i64,
    stage: u8,
}

impl<'m> Events<'m> {
    /// The events of `day`.
    pub fn new(model: &'m Model, day: Day) -> Self {
        Events {
            model,
            day,
            picker: picker(model, Table::Events, day as u64),
            r: rng::rng(model.seed, Stream::EventDay, day as u64, 1),
            total: model.events_on(day),
            seq: 0,
            session_no: 0,
            left: 0,
            user_id: 0,
            offset_min: 0,
            ts_us: 0,
            cart_cents: 0,
            stage: 0,
        }
    }

    fn start_session(&mut self) {
        let (model, day, r) = (self.model, self.day, &mut self.r);
        self.session_no += 1;
        let customer = model.pick_customer(r, day);
        self.user_id = customer.id;
        self.offset_min = COUNTRIES[customer.country].states[customer.state].offset_min;
        // Local time of the session start, then a few seconds to minutes between events.
        self.ts_us = (day as i64 * 86_400 + r.random_range(6 * 3600..22 * 3600) - self.offset_min as i64 * 60) * MICROS_PER_SECOND;
        self.cart_cents = 0;
        self.stage = 0;
        self.left = r.random_range(1..=9u64).min(self.total - self.seq);
    }
}

impl Iterator for Events<'_> {
    type Item = Generated<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            if self.seq >= self.total {
                return None;
            }
            self.start_session();
        }
        let (model, day) = (self.model, self.day);
        let r = &mut self.r;
        let payload = match self.stage {
            0 if r.random_bool(0.3) => Payload::Search { term: r.random_range(0..SEARCH_TERMS.len()), results: r.random_range(0..120) },
            0 => Payload::PageView { category: r.random_range(0..CATEGORIES.len()), referrer: r.random_range(0..REFERRERS.len()) },
            1 => Payload::ProductView { product_id: model.pick_product(r, day).id },
            2 => {
                let p = model.pick_product(r, day);
                let qty = r.random_range(1..=3u32);
                self.cart_cents += p.price_aud / 100 * qty as i64;
                Payload::AddToCart { product_id: p.id, qty }
            }
            3 => Payload::Checkout { cart_cents: self.cart_cents },
            _ => Payload::Purchase { order_cents: self.cart_cents },
        };
        let advance = match self.stage {
            0 => 0.8,
            1 => 0.35,
            2 => 0.45,
            3 => 0.6,
            _ => 0.0,
        };
        if self.stage < 4 && r.random_bool(advance) {
            self.stage += 1;
        } else if self.stage == 4 {
            self.stage = 0;
            self.cart_cents = 0;
        }
        let kind = self.picker.pick(self.seq);
        let missing_field = (kind == Some(AnomalyKind::MissingEnvelopeField)).then(|| r.random_range(0..ENVELOPE.len()));
        let event = Event {
            day,
            seq: self.seq,
            session_no: self.session_no,
            ts_us: self.ts_us,
            offset_min: self.offset_min,
            user_id: self.user_id,
            payload,
            missing_field,
            truncated: kind == Some(AnomalyKind::MalformedJson),
        };
        self.seq += 1;
        self.left -= 1;
        self.ts_us += r.random_range(5..400) * MICROS_PER_SECOND;
        Some(Generated::anomaly(event, kind))
    }
}

impl SourceRow for Event {
    const TABLE: Table = Table::Events;
    fn truth_key(&self, _: Mark) -> String {
        self.event_id()
    }
}

impl ArrowRow for Event {
    /// The canonical `events` table is the raw JSON line.
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        let mut json = StringBuilder::with_capacity(rows.len(), rows.len() * 200);
        let mut line = Vec::with_capacity(512);
        for e in rows {
            line.clear();
            e.push_json(&mut line);
            json.append_value(String::from_utf8_lossy(&line));
        }
        RecordBatch::try_new(Self::arrow_schema(), vec![Arc::new(json.finish())])
    }
}
