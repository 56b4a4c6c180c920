//! Clickstream events: one JSON object per line, grouped in sessions that walk a shopping funnel.

use std::fmt::Write;

use medallion_schema::{AnomalyKind, PathVars, Table, render_path};
use rand::RngExt;

use crate::dims::picker;
use crate::model::Model;
use crate::rng::{self, Stream};
use crate::sink::TextSink;
use crate::text::{Day, MICROS_PER_SECOND, civil_from_days, date_string, push_decimal, push_int, push_ts};
use crate::world::{CATEGORIES, COUNTRIES};
use crate::{Ctx, GenError, UnitOutput};

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

/// One event's fields before serialisation.
#[derive(Debug, Clone, Copy)]
enum Payload {
    PageView { category: usize, referrer: usize },
    ProductView { product_id: i64 },
    Search { term: usize, results: u32 },
    AddToCart { product_id: i64, qty: u32 },
    Checkout { cart_cents: i64 },
    Purchase { order_cents: i64 },
}

impl Payload {
    fn event_type(&self) -> &'static str {
        match self {
            Payload::PageView { .. } => "page_view",
            Payload::ProductView { .. } => "product_view",
            Payload::Search { .. } => "search",
            Payload::AddToCart { .. } => "add_to_cart",
            Payload::Checkout { .. } => "checkout",
            Payload::Purchase { .. } => "purchase",
        }
    }

    fn push_json(&self, b: &mut Vec<u8>) {
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

/// `evt_yyyymmdd_nnnnnnn`: computed, so increments never collide. Written into a reused buffer.
fn set_event_id(buf: &mut String, (y, m, d): (i32, u32, u32), seq: u64) {
    buf.clear();
    let _ = write!(buf, "evt_{y:04}{m:02}{d:02}_{seq:07}");
}

/// Writes one event line into `b`, leaving out envelope field `skip` if given.
#[allow(clippy::too_many_arguments)]
fn push_event(b: &mut Vec<u8>, id: &str, ts_us: i64, offset_min: i32, user_id: i64, session: &str, payload: &Payload, skip: Option<usize>) {
    b.push(b'{');
    let mut first = true;
    for (i, name) in ENVELOPE.iter().enumerate() {
        if Some(i) == skip {
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
                b.push(b'"');
                b.extend_from_slice(id.as_bytes());
                b.push(b'"');
            }
            1 => {
                b.push(b'"');
                push_ts(b, ts_us, offset_min);
                b.push(b'"');
            }
            2 => {
                b.push(b'"');
                b.extend_from_slice(payload.event_type().as_bytes());
                b.push(b'"');
            }
            3 => push_int(b, user_id),
            _ => {
                b.push(b'"');
                b.extend_from_slice(session.as_bytes());
                b.push(b'"');
            }
        }
    }
    b.extend_from_slice(b",\"payload\":");
    payload.push_json(b);
    b.push(b'}');
}

/// Events of days `from..to`, one file per day.
pub fn write_events(ctx: &Ctx<'_>, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    for day in from..to {
        write_event_day(ctx, day, out)?;
    }
    Ok(())
}

fn write_event_day(ctx: &Ctx<'_>, day: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let model: &Model = ctx.model;
    let date = date_string(day);
    let rel = render_path(&Table::Events.raw().path, &PathVars { date: Some(&date), part: Some(0), ..Default::default() })?;
    let mut sink = TextSink::create(&ctx.cfg.out, rel)?;
    let p = picker(model, Table::Events, day as u64);
    let mut r = rng::rng(model.seed, Stream::EventDay, day as u64, 1);
    let total = model.events_on(day);
    let ymd = civil_from_days(day);
    let (y, m, d) = ymd;
    let mut seq = 0u64;
    let mut session_no = 0u64;
    let (mut id, mut session) = (String::with_capacity(24), String::with_capacity(24));
    while seq < total {
        session_no += 1;
        session.clear();
        let _ = write!(session, "ses_{y:04}{m:02}{d:02}_{session_no:06}");
        let customer = model.pick_customer(&mut r, day);
        let offset = COUNTRIES[customer.country].states[customer.state].offset_min;
        // Local time of the session start, then a few seconds to minutes between events.
        let mut ts_us = (day as i64 * 86_400 + r.random_range(6 * 3600..22 * 3600) - offset as i64 * 60) * MICROS_PER_SECOND;
        let mut cart_cents = 0i64;
        let mut stage = 0u8;
        let len = r.random_range(1..=9u64).min(total - seq);
        for _ in 0..len {
            // Funnel: browse → view → cart → checkout → purchase, with drop-outs along the way.
            let payload = match stage {
                0 if r.random_bool(0.3) => Payload::Search { term: r.random_range(0..SEARCH_TERMS.len()), results: r.random_range(0..120) },
                0 => Payload::PageView { category: r.random_range(0..CATEGORIES.len()), referrer: r.random_range(0..REFERRERS.len()) },
                1 => Payload::ProductView { product_id: model.pick_product(&mut r, day).id },
                2 => {
                    let p = model.pick_product(&mut r, day);
                    let qty = r.random_range(1..=3u32);
                    cart_cents += p.price_aud / 100 * qty as i64;
                    Payload::AddToCart { product_id: p.id, qty }
                }
                3 => Payload::Checkout { cart_cents },
                _ => Payload::Purchase { order_cents: cart_cents },
            };
            let advance = match stage {
                0 => 0.8,
                1 => 0.35,
                2 => 0.45,
                3 => 0.6,
                _ => 0.0,
            };
            if stage < 4 && r.random_bool(advance) {
                stage += 1;
            } else if stage == 4 {
                stage = 0;
                cart_cents = 0;
            }
            set_event_id(&mut id, ymd, seq);
            let kind = p.0.pick(seq).map(|k| p.1[k]);
            let skip = (kind == Some(AnomalyKind::MissingEnvelopeField)).then(|| r.random_range(0..ENVELOPE.len()));
            push_event(&mut sink.line, &id, ts_us, offset, customer.id, &session, &payload, skip);
            if kind == Some(AnomalyKind::MalformedJson) {
                // Cut the line short, as a crashed writer would.
                let keep = sink.line.len() * 2 / 3;
                sink.line.truncate(keep);
            }
            if let Some(k) = kind {
                out.truth.push(Table::Events, k.code(), id.clone(), &sink.rel, sink.next_line_no());
            }
            sink.end_line()?;
            seq += 1;
            ts_us += r.random_range(5..400) * MICROS_PER_SECOND;
        }
    }
    out.close(ctx, Table::Events, sink)?;
    Ok(())
}
