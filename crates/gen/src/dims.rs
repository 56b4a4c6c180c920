//! The four dimension sources: customers, products, stores, suppliers — full snapshots in a base
//! run, and address / price changes in an increment.

use fake::Fake;
use fake::faker::address::en::{BuildingNumber, StreetName, StreetSuffix};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use medallion_schema::{AnomalyKind, PathVars, Table, render_path};
use rand::RngExt;

use crate::model::{DIM_ANCHOR, Model};
use crate::rng::{self, AnomalyPicker, Stream, hash, unit};
use crate::sink::TextSink;
use crate::text::{
    Day, MICROS_PER_DAY, MICROS_PER_SECOND, date_string, days_from_civil, push_csv_str, push_date, push_decimal, push_fixed, push_int,
    push_ts,
};
use crate::world::{ADJECTIVES, BRANDS, CATEGORIES, COUNTRIES};
use crate::{Ctx, GenError, UnitOutput};
use medallion_schema::truth::{CHANGE_ADDRESS, CHANGE_PRICE};

/// The anomaly picker of a table's rows; dimension rows are picked by id.
pub fn picker(model: &Model, table: Table, chunk: u64) -> (AnomalyPicker, Vec<AnomalyKind>) {
    let kinds: Vec<AnomalyKind> = AnomalyKind::of_table(table).collect();
    let rates: Vec<f64> = kinds.iter().map(|k| k.spec().rate).collect();
    (AnomalyPicker::new(model.seed, table as u64, chunk, &rates), kinds)
}

fn pick(p: &(AnomalyPicker, Vec<AnomalyKind>), i: u64) -> Option<AnomalyKind> {
    p.0.pick(i).map(|k| p.1[k])
}

fn base36(mut v: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(v % 36) as usize];
        v /= 36;
    }
    String::from_utf8(out).expect("ascii")
}

/// `CUST-XXXXXXXX`: a bijection of the id modulo 36^8, so keys never collide.
pub fn customer_natural_key(id: i64) -> String {
    const M: u64 = 36u64.pow(8);
    format!("CUST-{}", base36((id as u64).wrapping_mul(1_299_709).wrapping_add(7_777_777) % M, 8))
}

/// `SKU-XXXXXX`: a bijection of the id modulo 36^6.
pub fn product_sku(id: i64) -> String {
    const M: u64 = 36u64.pow(6);
    format!("SKU-{}", base36((id as u64).wrapping_mul(15_485_863).wrapping_add(123_457) % M, 6))
}

// ---- customers ----------------------------------------------------------------------------------

/// A customer row as the canonical schema types it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub customer_id: i64,
    pub natural_key: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state_region: String,
    pub postcode: Option<String>,
    pub country_code: String,
    pub latitude: f64,
    pub longitude: f64,
    pub birth_date: Day,
    pub join_ts_us: i64,
    /// Offset of the customer's home, used to write `join_ts` in local time.
    pub offset_min: i32,
    pub is_vip: bool,
    pub gdpr_consent: bool,
}

const EMAIL_DOMAINS: [&str; 6] = ["gmail.com", "outlook.com", "yahoo.com", "bigpond.com", "icloud.com", "proton.me"];

fn email_local(first: &str, last: &str, n: u32) -> String {
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    format!("{}.{}{}", clean(first), clean(last), n)
}

fn postcode(r: &mut rng::Rng, country: usize, state: usize) -> String {
    let st = &COUNTRIES[country].states[state];
    if st.postcodes == (0, 0) {
        const L: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
        let l = |r: &mut rng::Rng| L[r.random_range(0..L.len())] as char;
        let (a, b) = (l(r), l(r));
        let (d1, d2) = (r.random_range(1..20), r.random_range(0..10));
        let (c, d) = (l(r), l(r));
        format!("{a}{b}{d1} {d2}{c}{d}")
    } else {
        let width = if COUNTRIES[country].code == "US" { 5 } else { 4 };
        format!("{:0width$}", r.random_range(st.postcodes.0..=st.postcodes.1))
    }
}

/// Customer `id`'s row. `address_version` > 0 gives the address after that many moves.
pub fn customer_row(model: &Model, id: i64, address_version: u32) -> Customer {
    let core = model.customer(id);
    let country = &COUNTRIES[core.country];
    let mut r = rng::rng(model.seed, Stream::Customer, id as u64, 2);
    let first_name: String = FirstName().fake_with_rng(&mut r);
    let last_name: String = LastName().fake_with_rng(&mut r);
    let email = format!(
        "{}@{}",
        email_local(&first_name, &last_name, r.random_range(1..100)),
        EMAIL_DOMAINS[r.random_range(0..EMAIL_DOMAINS.len())]
    );
    let phone = format!("{} {:03} {:03}", country.phone_prefix, r.random_range(0..1000), r.random_range(0..1000));
    let birth_date = days_from_civil(1940, 1, 1) + r.random_range(0..(65 * 365));
    let secs: i64 = r.random_range(0..86_400);
    let home_offset = country.states[core.state].offset_min;
    let is_vip = r.random_bool(0.06);
    let gdpr_consent = r.random_bool(0.78);
    // The address has its own stream per version, so a move changes nothing else.
    let mut a = rng::rng(model.seed, Stream::CustomerChange, id as u64, address_version as u64);
    let (state_idx, st) = if address_version == 0 {
        (core.state, &country.states[core.state])
    } else {
        let s = a.random_range(0..country.states.len());
        (s, &country.states[s])
    };
    let street: String = StreetName().fake_with_rng(&mut a);
    let suffix: String = StreetSuffix().fake_with_rng(&mut a);
    let number: String = BuildingNumber().fake_with_rng(&mut a);
    let address_line2 = a.random_bool(0.2).then(|| format!("Unit {}", a.random_range(1..60)));
    let city = st.cities[a.random_range(0..st.cities.len())].to_string();
    Customer {
        customer_id: id,
        natural_key: customer_natural_key(id),
        email: Some(email),
        phone: Some(phone),
        address_line1: Some(format!("{number} {street} {suffix}")),
        address_line2,
        city: Some(city),
        state_region: st.code.to_string(),
        postcode: Some(postcode(&mut a, core.country, state_idx)),
        country_code: country.code.to_string(),
        latitude: st.lat + a.random_range(-0.4..0.4),
        longitude: st.lon + a.random_range(-0.4..0.4),
        birth_date,
        // Joined where they lived then: the original home's offset, whatever the version.
        join_ts_us: core.join_day as i64 * MICROS_PER_DAY + secs * MICROS_PER_SECOND - home_offset as i64 * 60 * MICROS_PER_SECOND,
        offset_min: home_offset,
        is_vip,
        gdpr_consent,
        first_name,
        last_name,
    }
}

/// Applies a customer anomaly to a clean row (duplicates are handled by the writer).
fn break_customer(c: &mut Customer, kind: AnomalyKind, h: u64) {
    match kind {
        AnomalyKind::MalformedEmail => {
            let e = c.email.take().unwrap_or_default();
            let (local, domain) = e.split_once('@').unwrap_or((&e, "example.com"));
            c.email = Some(match h % 4 {
                0 => format!("{local}{domain}"),
                1 => format!("{local}@@{domain}"),
                2 => format!("{} {}@{domain}", c.first_name.to_lowercase(), c.last_name.to_lowercase()),
                _ => format!("{local}@"),
            });
        }
        AnomalyKind::NullPhone => c.phone = None,
        AnomalyKind::NullAddress => {
            c.address_line1 = None;
            c.address_line2 = None;
            c.city = None;
            c.postcode = None;
        }
        _ => {}
    }
}

fn push_opt_str(b: &mut Vec<u8>, v: Option<&str>) {
    if let Some(s) = v {
        push_csv_str(b, s);
    }
}

fn push_customer(b: &mut Vec<u8>, c: &Customer) {
    push_int(b, c.customer_id);
    b.push(b',');
    push_csv_str(b, &c.natural_key);
    b.push(b',');
    push_csv_str(b, &c.first_name);
    b.push(b',');
    push_csv_str(b, &c.last_name);
    b.push(b',');
    push_opt_str(b, c.email.as_deref());
    b.push(b',');
    push_opt_str(b, c.phone.as_deref());
    b.push(b',');
    push_opt_str(b, c.address_line1.as_deref());
    b.push(b',');
    push_opt_str(b, c.address_line2.as_deref());
    b.push(b',');
    push_opt_str(b, c.city.as_deref());
    b.push(b',');
    push_csv_str(b, &c.state_region);
    b.push(b',');
    push_opt_str(b, c.postcode.as_deref());
    b.push(b',');
    push_csv_str(b, &c.country_code);
    b.push(b',');
    push_fixed(b, c.latitude, 6);
    b.push(b',');
    push_fixed(b, c.longitude, 6);
    b.push(b',');
    push_date(b, c.birth_date);
    b.push(b',');
    push_ts(b, c.join_ts_us, c.offset_min);
    b.push(b',');
    b.extend_from_slice(if c.is_vip { b"true" } else { b"false" });
    b.push(b',');
    b.extend_from_slice(if c.gdpr_consent { b"true" } else { b"false" });
}

pub fn write_customers(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let model = ctx.model;
    let p = picker(model, Table::Customers, 0);
    let mut sink = TextSink::csv(&ctx.cfg.out, Table::Customers.raw().path.clone(), Table::Customers)?;
    let mut duplicates = Vec::new();
    for id in 1..=model.n_customers {
        let mut c = customer_row(model, id, 0);
        let kind = pick(&p, id as u64);
        match kind {
            Some(AnomalyKind::DuplicateNaturalKey) => duplicates.push(id),
            Some(k) => {
                break_customer(&mut c, k, hash(model.seed, Stream::Customer, id as u64, 3));
                out.truth.push(Table::Customers, k.code(), id.to_string(), &sink.rel, sink.next_line_no());
            }
            None => {}
        }
        push_customer(&mut sink.line, &c);
        sink.end_line()?;
    }
    // A second, updated record of the same person: new id, same natural key, the person's next
    // address; appended after the originals as a source system re-sending a merged profile would.
    for (k, id) in duplicates.iter().enumerate() {
        let mut c = customer_row(model, *id, 1);
        c.customer_id = model.n_customers + 1 + k as i64;
        out.truth.push(Table::Customers, AnomalyKind::DuplicateNaturalKey.code(), c.natural_key.clone(), &sink.rel, sink.next_line_no());
        push_customer(&mut sink.line, &c);
        sink.end_line()?;
    }
    out.close(ctx, Table::Customers, sink)?;
    Ok(())
}

/// Customers who move during an increment: about 1% of the clean ones, chosen per increment.
pub fn write_customer_changes(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let (model, cfg) = (ctx.model, ctx.cfg);
    let p = picker(model, Table::Customers, 0);
    let rel = increment_path(Table::Customers, cfg.start, cfg.end())?;
    let mut sink = TextSink::csv(&cfg.out, rel, Table::Customers)?;
    for id in 1..=model.n_customers {
        if pick(&p, id as u64).is_some() || unit(hash(model.seed, Stream::CustomerChange, id as u64, cfg.start as u64)) >= 0.01 {
            continue;
        }
        // Each increment is a further move; the day number keeps versions distinct.
        let c = customer_row(model, id, 1 + (cfg.start - DIM_ANCHOR).unsigned_abs());
        out.truth.push(Table::Customers, CHANGE_ADDRESS, id.to_string(), &sink.rel, sink.next_line_no());
        push_customer(&mut sink.line, &c);
        sink.end_line()?;
    }
    out.close(ctx, Table::Customers, sink)?;
    Ok(())
}

fn increment_path(table: Table, start: Day, end: Day) -> Result<String, GenError> {
    let pattern = table
        .raw()
        .increment_path
        .as_deref()
        .ok_or_else(|| medallion_schema::SchemaError::Table { table: table.to_string(), message: "no increment_path".into() })?;
    let (from, to) = (date_string(start), date_string(end - 1));
    Ok(render_path(pattern, &PathVars { from: Some(&from), to: Some(&to), ..Default::default() })?)
}

// ---- products -----------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub category: &'static str,
    pub subcategory: &'static str,
    /// Scale 4.
    pub current_price: Option<i64>,
    pub currency: &'static str,
    pub is_discontinued: bool,
    pub introduced_dt: Day,
    pub discontinued_dt: Option<Day>,
}

pub fn product_row(model: &Model, id: i64) -> Product {
    let core = model.product(id);
    let cat = &CATEGORIES[core.category];
    let h = hash(model.seed, Stream::Product, id as u64, 2);
    let name = format!(
        "{} {} {}",
        BRANDS[(h % BRANDS.len() as u64) as usize],
        ADJECTIVES[((h >> 8) % ADJECTIVES.len() as u64) as usize],
        cat.nouns[((h >> 16) % cat.nouns.len() as u64) as usize]
    );
    Product {
        product_id: id,
        sku: product_sku(id),
        name,
        category: cat.name,
        subcategory: cat.subcategories[core.subcategory],
        current_price: Some(core.price_aud),
        currency: "AUD",
        is_discontinued: core.discontinued_dt.is_some(),
        introduced_dt: core.introduced_dt,
        discontinued_dt: core.discontinued_dt,
    }
}

fn push_product(b: &mut Vec<u8>, p: &Product) {
    push_int(b, p.product_id);
    b.push(b',');
    push_csv_str(b, &p.sku);
    b.push(b',');
    push_csv_str(b, &p.name);
    b.push(b',');
    push_csv_str(b, p.category);
    b.push(b',');
    push_csv_str(b, p.subcategory);
    b.push(b',');
    if let Some(v) = p.current_price {
        push_decimal(b, v, 4);
    }
    b.push(b',');
    push_csv_str(b, p.currency);
    b.push(b',');
    b.extend_from_slice(if p.is_discontinued { b"true" } else { b"false" });
    b.push(b',');
    push_date(b, p.introduced_dt);
    b.push(b',');
    if let Some(d) = p.discontinued_dt {
        push_date(b, d);
    }
}

pub fn write_products(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let model = ctx.model;
    let p = picker(model, Table::Products, 0);
    let mut sink = TextSink::csv(&ctx.cfg.out, Table::Products.raw().path.clone(), Table::Products)?;
    for id in 1..=model.n_products {
        let mut row = product_row(model, id);
        if let Some(kind) = pick(&p, id as u64) {
            match kind {
                AnomalyKind::InvalidPrice => {
                    row.current_price = match hash(model.seed, Stream::Product, id as u64, 3) % 3 {
                        0 => None,
                        1 => Some(0),
                        _ => row.current_price.map(|v| -v),
                    }
                }
                AnomalyKind::DiscontinuedWithoutDate => {
                    row.is_discontinued = true;
                    row.discontinued_dt = None;
                }
                _ => {}
            }
            out.truth.push(Table::Products, kind.code(), id.to_string(), &sink.rel, sink.next_line_no());
        }
        push_product(&mut sink.line, &row);
        sink.end_line()?;
    }
    out.close(ctx, Table::Products, sink)?;
    Ok(())
}

/// About 2% of clean, current products change price in an increment (−15% … +20%).
pub fn write_product_changes(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let (model, cfg) = (ctx.model, ctx.cfg);
    let p = picker(model, Table::Products, 0);
    let rel = increment_path(Table::Products, cfg.start, cfg.end())?;
    let mut sink = TextSink::csv(&cfg.out, rel, Table::Products)?;
    for id in 1..=model.n_products {
        let h = hash(model.seed, Stream::ProductChange, id as u64, cfg.start as u64);
        if pick(&p, id as u64).is_some() || unit(h) >= 0.02 {
            continue;
        }
        let mut row = product_row(model, id);
        if row.is_discontinued {
            continue;
        }
        let factor = 0.85 + 0.35 * unit(rng::mix(h));
        row.current_price = row.current_price.map(|v| ((v as f64 * factor / 100.0).round() as i64).max(1) * 100);
        out.truth.push(Table::Products, CHANGE_PRICE, id.to_string(), &sink.rel, sink.next_line_no());
        push_product(&mut sink.line, &row);
        sink.end_line()?;
    }
    out.close(ctx, Table::Products, sink)?;
    Ok(())
}

// ---- stores -------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub store_id: i64,
    pub store_code: String,
    pub name: String,
    pub channel: &'static str,
    pub region: &'static str,
    pub state: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub open_dt: Day,
    pub close_dt: Option<Day>,
}

pub fn store_code(model: &Model, id: i64) -> String {
    format!("{}-{:05}", COUNTRIES[model.store(id).country].code, id)
}

pub fn store_row(model: &Model, id: i64) -> Store {
    const SUFFIXES: [&str; 6] = ["Central", "Plaza", "Westfield", "Junction", "Quay", "Mall"];
    let core = model.store(id);
    let country = &COUNTRIES[core.country];
    let st = &country.states[core.state];
    let h = hash(model.seed, Stream::Store, id as u64, 3);
    let city = st.cities[(h % st.cities.len() as u64) as usize];
    let name =
        if core.is_web { format!("Online {} {}", country.code, id) } else { format!("{city} {}", SUFFIXES[((h >> 8) % 6) as usize]) };
    Store {
        store_id: id,
        store_code: store_code(model, id),
        name,
        channel: if core.is_web { "web" } else { "pos" },
        region: country.region,
        state: st.code,
        latitude: st.lat + (unit(rng::mix(h)) - 0.5) * 0.6,
        longitude: st.lon + (unit(rng::mix(h ^ 1)) - 0.5) * 0.6,
        open_dt: core.open_dt,
        close_dt: core.close_dt,
    }
}

pub fn write_stores(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let model = ctx.model;
    let p = picker(model, Table::Stores, 0);
    let mut sink = TextSink::csv(&ctx.cfg.out, Table::Stores.raw().path.clone(), Table::Stores)?;
    for id in 1..=model.n_stores {
        let mut s = store_row(model, id);
        if let Some(kind) = pick(&p, id as u64) {
            match kind {
                AnomalyKind::ImpossibleCoordinates => {
                    if id % 2 == 0 {
                        s.latitude = 90.0 + 1.0 + (id % 80) as f64;
                    } else {
                        s.longitude = -(180.0 + 1.0 + (id % 170) as f64);
                    }
                }
                AnomalyKind::DuplicateStoreCode => s.store_code = store_code(model, if id > 1 { id - 1 } else { id + 1 }),
                _ => {}
            }
            out.truth.push(Table::Stores, kind.code(), id.to_string(), &sink.rel, sink.next_line_no());
        }
        let b = &mut sink.line;
        push_int(b, s.store_id);
        b.push(b',');
        push_csv_str(b, &s.store_code);
        b.push(b',');
        push_csv_str(b, &s.name);
        b.push(b',');
        push_csv_str(b, s.channel);
        b.push(b',');
        push_csv_str(b, s.region);
        b.push(b',');
        push_csv_str(b, s.state);
        b.push(b',');
        push_fixed(b, s.latitude, 6);
        b.push(b',');
        push_fixed(b, s.longitude, 6);
        b.push(b',');
        push_date(b, s.open_dt);
        b.push(b',');
        if let Some(d) = s.close_dt {
            push_date(b, d);
        }
        sink.end_line()?;
    }
    out.close(ctx, Table::Stores, sink)?;
    Ok(())
}

// ---- suppliers ----------------------------------------------------------------------------------

const SUPPLIER_COUNTRIES: [(&str, i32, i32); 10] = [
    ("AU", 2, 10),
    ("NZ", 4, 14),
    ("CN", 20, 60),
    ("US", 10, 30),
    ("DE", 14, 40),
    ("JP", 12, 35),
    ("VN", 18, 50),
    ("IN", 18, 55),
    ("GB", 12, 35),
    ("IT", 14, 40),
];

pub fn write_suppliers(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let model = ctx.model;
    let mut sink = TextSink::csv(&ctx.cfg.out, Table::Suppliers.raw().path.clone(), Table::Suppliers)?;
    for id in 1..=model.n_suppliers {
        let mut r = rng::rng(model.seed, Stream::Supplier, id as u64, 0);
        let name: String = CompanyName().fake_with_rng(&mut r);
        let (country, lo, hi) = SUPPLIER_COUNTRIES[r.random_range(0..SUPPLIER_COUNTRIES.len())];
        let b = &mut sink.line;
        push_int(b, id);
        b.push(b',');
        b.extend_from_slice(format!("SUP-{id:05}").as_bytes());
        b.push(b',');
        push_csv_str(b, &name);
        b.push(b',');
        push_csv_str(b, country);
        b.push(b',');
        push_int(b, r.random_range(lo..=hi) as i64);
        b.push(b',');
        b.extend_from_slice(if r.random_bool(0.2) { b"true" } else { b"false" });
        sink.end_line()?;
    }
    out.close(ctx, Table::Suppliers, sink)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_keys_are_unique_and_well_formed() {
        let keys: std::collections::HashSet<String> = (1..20_000).map(customer_natural_key).collect();
        assert_eq!(keys.len(), 19_999);
        assert!(keys.iter().all(|k| k.len() == 13 && k.starts_with("CUST-")));
        let skus: std::collections::HashSet<String> = (1..20_000).map(product_sku).collect();
        assert_eq!(skus.len(), 19_999);
    }

    #[test]
    fn clean_emails_are_well_formed_and_moves_change_only_the_address() {
        let m = Model::new(5, 0.01, DIM_ANCHOR);
        for id in 1..300 {
            let c = customer_row(&m, id, 0);
            let e = c.email.clone().unwrap();
            let (local, domain) = e.split_once('@').unwrap();
            assert!(!local.is_empty() && domain.contains('.') && !e.contains(' '), "{e}");
            let moved = customer_row(&m, id, 1);
            assert_eq!((&moved.first_name, &moved.email, moved.join_ts_us), (&c.first_name, &c.email, c.join_ts_us));
        }
    }
}
