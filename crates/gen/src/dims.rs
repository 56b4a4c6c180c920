//! The four dimension sources: customers, products, stores, suppliers — full snapshots in a base
//! run, and address / price changes in an increment.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::error::ArrowError;
use fake::Fake;
use fake::faker::address::en::{BuildingNumber, StreetName, StreetSuffix};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use medallion_schema::{AnomalyKind, Table};
use rand::RngExt;

use crate::model::{DIM_ANCHOR, Model};
use crate::rng::{self, KindPicker, Stream, hash, unit};
use crate::text::{
    Day, MICROS_PER_DAY, MICROS_PER_SECOND, days_from_civil, push_csv_str, push_date, push_decimal, push_fixed, push_int, push_ts,
};
use crate::world::{ADJECTIVES, BRANDS, CATEGORIES, COUNTRIES};
use crate::{ArrowRow, Generated, Mark, SourceRow};
use medallion_schema::truth::{CHANGE_ADDRESS, CHANGE_PRICE};

/// The anomaly picker of a table's chunk; dimension rows are picked by id (chunk 0).
pub fn picker(model: &Model, table: Table, chunk: u64) -> KindPicker {
    KindPicker::new(model.seed, table, chunk, model.anomaly_rates())
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
    /// `customer_id`.
    pub customer_id: i64,
    /// `CUST-XXXXXXXX`, a bijection of the id (see [`customer_natural_key`]).
    pub natural_key: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email (malformed by a `malformed_email` anomaly).
    pub email: Option<String>,
    /// Phone (none with `null_phone`).
    pub phone: Option<String>,
    /// Street address (none with `null_address`, as are line 2, city and postcode).
    pub address_line1: Option<String>,
    /// Unit or apartment, for some.
    pub address_line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region code.
    pub state_region: String,
    /// Postcode in the country's format.
    pub postcode: Option<String>,
    /// ISO country code.
    pub country_code: String,
    /// Home latitude.
    pub latitude: f64,
    /// Home longitude.
    pub longitude: f64,
    /// Date of birth.
    pub birth_date: Day,
    /// When they joined, a UTC instant (microseconds).
    pub join_ts_us: i64,
    /// Offset of the customer's home, used to write `join_ts` in local time.
    pub offset_min: i32,
    /// A VIP customer.
    pub is_vip: bool,
    /// Consented to the use of their personal data.
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
    // Unique per person (the duplicate-person anomaly repeats them on purpose): the number in
    // the email and the phone's seven digits are bijections of the id (up to 10 M customers).
    let email = format!(
        "{}@{}",
        email_local(&first_name, &last_name, crate::model::unique_number(id as u64, 10_000_000, model.seed ^ 0xE4A1) as u32),
        EMAIL_DOMAINS[r.random_range(0..EMAIL_DOMAINS.len())]
    );
    let number = crate::model::unique_number(id as u64, 10_000_000, model.seed ^ 0xF0E5);
    let phone = format!("{} {:03} {:04}", country.phone_prefix, number / 10_000, number % 10_000);
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

/// `c` as a CSV line (no newline) into `b`.
pub fn push_customer(b: &mut Vec<u8>, c: &Customer) {
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

/// The customers file of a base run: every customer in id order, then the duplicate-person
/// records (a new id, the same natural key, the person's next address), as a source system
/// re-sending merged profiles would append them.
///
/// ```
/// use medallion_gen::{Mark, dims::Customers, model::Model};
/// use medallion_schema::AnomalyKind;
/// let model = Model::new(42, 0.01, 20_000);
/// let rows: Vec<_> = Customers::new(&model).collect();
/// assert!(rows.len() as i64 > model.n_customers);
/// let dup = rows.iter().find(|g| g.mark == Some(Mark::Anomaly(AnomalyKind::DuplicateNaturalKey))).unwrap();
/// assert!(rows.iter().any(|g| g.row.natural_key == dup.row.natural_key && g.row.customer_id != dup.row.customer_id));
/// ```
pub struct Customers<'m> {
    model: &'m Model,
    picker: KindPicker,
    next_id: i64,
    duplicates: Vec<i64>,
    next_duplicate: usize,
}

impl<'m> Customers<'m> {
    /// The base customers file of `model`.
    pub fn new(model: &'m Model) -> Self {
        Customers { model, picker: picker(model, Table::Customers, 0), next_id: 1, duplicates: Vec::new(), next_duplicate: 0 }
    }
}

impl Iterator for Customers<'_> {
    type Item = Generated<Customer>;

    fn next(&mut self) -> Option<Self::Item> {
        let model = self.model;
        if self.next_id <= model.n_customers {
            let id = self.next_id;
            self.next_id += 1;
            let mut c = customer_row(model, id, 0);
            return Some(match self.picker.pick(id as u64) {
                // The original is clean; its duplicate comes at the end.
                Some(AnomalyKind::DuplicateNaturalKey) => {
                    self.duplicates.push(id);
                    Generated::clean(c)
                }
                Some(k) => {
                    break_customer(&mut c, k, hash(model.seed, Stream::Customer, id as u64, 3));
                    Generated::anomaly(c, Some(k))
                }
                None => Generated::clean(c),
            });
        }
        let k = self.next_duplicate;
        let id = *self.duplicates.get(k)?;
        self.next_duplicate += 1;
        let mut c = customer_row(model, id, 1);
        c.customer_id = model.n_customers + 1 + k as i64;
        Some(Generated::anomaly(c, Some(AnomalyKind::DuplicateNaturalKey)))
    }
}

/// The customers who move during an increment starting on `start`: about 1 % of the clean
/// ones, each with its next address; marked as `address_change`.
pub struct CustomerChanges<'m> {
    model: &'m Model,
    picker: KindPicker,
    start: Day,
    next_id: i64,
}

impl<'m> CustomerChanges<'m> {
    /// The moves of the increment that starts on `start`.
    pub fn new(model: &'m Model, start: Day) -> Self {
        CustomerChanges { model, picker: picker(model, Table::Customers, 0), start, next_id: 1 }
    }
}

impl Iterator for CustomerChanges<'_> {
    type Item = Generated<Customer>;

    fn next(&mut self) -> Option<Self::Item> {
        let model = self.model;
        while self.next_id <= model.n_customers {
            let id = self.next_id;
            self.next_id += 1;
            if self.picker.pick(id as u64).is_some() || unit(hash(model.seed, Stream::CustomerChange, id as u64, self.start as u64)) >= 0.01
            {
                continue;
            }
            // Each increment is a further move; the day number keeps versions distinct.
            let c = customer_row(model, id, 1 + (self.start - DIM_ANCHOR).unsigned_abs());
            return Some(Generated { row: c, mark: Some(Mark::Change(CHANGE_ADDRESS)) });
        }
        None
    }
}

impl SourceRow for Customer {
    const TABLE: Table = Table::Customers;
    fn truth_key(&self, mark: Mark) -> String {
        match mark {
            Mark::Anomaly(AnomalyKind::DuplicateNaturalKey) => self.natural_key.clone(),
            _ => self.customer_id.to_string(),
        }
    }
}

impl ArrowRow for Customer {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        let s = |f: fn(&Customer) -> Option<&str>| -> ArrayRef { Arc::new(StringArray::from_iter(rows.iter().map(f))) };
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.customer_id))),
                s(|r| Some(&r.natural_key)),
                s(|r| Some(&r.first_name)),
                s(|r| Some(&r.last_name)),
                s(|r| r.email.as_deref()),
                s(|r| r.phone.as_deref()),
                s(|r| r.address_line1.as_deref()),
                s(|r| r.address_line2.as_deref()),
                s(|r| r.city.as_deref()),
                s(|r| Some(&r.state_region)),
                s(|r| r.postcode.as_deref()),
                s(|r| Some(&r.country_code)),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.latitude))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.longitude))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.birth_date))),
                Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.join_ts_us))),
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.is_vip)))),
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.gdpr_consent)))),
            ],
        )
    }
}

// ---- products -----------------------------------------------------------------------------------

/// A product row.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// `product_id`.
    pub product_id: i64,
    /// `SKU-XXXXXX`, a bijection of the id (see [`product_sku`]).
    pub sku: String,
    /// Brand, adjective and noun.
    pub name: String,
    /// Category.
    pub category: &'static str,
    /// Subcategory of the category.
    pub subcategory: &'static str,
    /// Scale 4.
    pub current_price: Option<i64>,
    /// Always AUD (the catalogue price).
    pub currency: &'static str,
    /// No longer sold.
    pub is_discontinued: bool,
    /// First day on sale.
    pub introduced_dt: Day,
    /// Last day on sale (missing with `discontinued_without_date`).
    pub discontinued_dt: Option<Day>,
}

/// Product `id`'s clean row.
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

/// `p` as a CSV line (no newline) into `b`.
pub fn push_product(b: &mut Vec<u8>, p: &Product) {
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

/// Applies a product anomaly to a clean row.
fn break_product(model: &Model, row: &mut Product, kind: AnomalyKind) {
    match kind {
        AnomalyKind::InvalidPrice => {
            row.current_price = match hash(model.seed, Stream::Product, row.product_id as u64, 3) % 3 {
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
}

/// The products file of a base run, in id order.
pub struct Products<'m> {
    model: &'m Model,
    picker: KindPicker,
    next_id: i64,
}

impl<'m> Products<'m> {
    /// The base products file of `model`.
    pub fn new(model: &'m Model) -> Self {
        Products { model, picker: picker(model, Table::Products, 0), next_id: 1 }
    }
}

impl Iterator for Products<'_> {
    type Item = Generated<Product>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = self.next_id;
        if id > self.model.n_products {
            return None;
        }
        self.next_id += 1;
        let mut row = product_row(self.model, id);
        let kind = self.picker.pick(id as u64);
        if let Some(k) = kind {
            break_product(self.model, &mut row, k);
        }
        Some(Generated::anomaly(row, kind))
    }
}

/// The price changes of an increment starting on `start`: about 2 % of the clean, current
/// products, −15 % … +20 %; marked as `price_change`.
pub struct ProductChanges<'m> {
    model: &'m Model,
    picker: KindPicker,
    start: Day,
    next_id: i64,
}

impl<'m> ProductChanges<'m> {
    /// The price changes of the increment that starts on `start`.
    pub fn new(model: &'m Model, start: Day) -> Self {
        ProductChanges { model, picker: picker(model, Table::Products, 0), start, next_id: 1 }
    }
}

impl Iterator for ProductChanges<'_> {
    type Item = Generated<Product>;

    fn next(&mut self) -> Option<Self::Item> {
        let model = self.model;
        while self.next_id <= model.n_products {
            let id = self.next_id;
            self.next_id += 1;
            let h = hash(model.seed, Stream::ProductChange, id as u64, self.start as u64);
            if self.picker.pick(id as u64).is_some() || unit(h) >= 0.02 {
                continue;
            }
            let mut row = product_row(model, id);
            if row.is_discontinued {
                continue;
            }
            let factor = 0.85 + 0.35 * unit(rng::mix(h));
            row.current_price = row.current_price.map(|v| ((v as f64 * factor / 100.0).round() as i64).max(1) * 100);
            return Some(Generated { row, mark: Some(Mark::Change(CHANGE_PRICE)) });
        }
        None
    }
}

impl SourceRow for Product {
    const TABLE: Table = Table::Products;
    fn truth_key(&self, _: Mark) -> String {
        self.product_id.to_string()
    }
}

impl ArrowRow for Product {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.product_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.sku))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.name))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.category))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.subcategory))),
                Arc::new(Decimal128Array::from_iter(rows.iter().map(|r| r.current_price.map(i128::from))).with_precision_and_scale(12, 4)?),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.currency))),
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.is_discontinued)))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.introduced_dt))),
                Arc::new(Date32Array::from_iter(rows.iter().map(|r| r.discontinued_dt))),
            ],
        )
    }
}

// ---- stores -------------------------------------------------------------------------------------

/// A store row.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    /// `store_id`.
    pub store_id: i64,
    /// `<country>-<id>` (repeated by `duplicate_store_code`).
    pub store_code: String,
    /// Display name.
    pub name: String,
    /// `web` or `pos`.
    pub channel: &'static str,
    /// Sales region.
    pub region: &'static str,
    /// State code.
    pub state: &'static str,
    /// Latitude (impossible with `impossible_coordinates`).
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Opening day.
    pub open_dt: Day,
    /// Closing day, if closed.
    pub close_dt: Option<Day>,
}

/// Store `id`'s clean code.
pub fn store_code(model: &Model, id: i64) -> String {
    format!("{}-{:05}", COUNTRIES[model.store(id).country].code, id)
}

/// Store `id`'s clean row.
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

/// The stores file, in id order.
pub struct Stores<'m> {
    model: &'m Model,
    picker: KindPicker,
    next_id: i64,
}

impl<'m> Stores<'m> {
    /// The stores file of `model`.
    pub fn new(model: &'m Model) -> Self {
        Stores { model, picker: picker(model, Table::Stores, 0), next_id: 1 }
    }
}

impl Iterator for Stores<'_> {
    type Item = Generated<Store>;

    fn next(&mut self) -> Option<Self::Item> {
        let (model, id) = (self.model, self.next_id);
        if id > model.n_stores {
            return None;
        }
        self.next_id += 1;
        let mut s = store_row(model, id);
        let kind = self.picker.pick(id as u64);
        match kind {
            Some(AnomalyKind::ImpossibleCoordinates) => {
                if id % 2 == 0 {
                    s.latitude = 90.0 + 1.0 + (id % 80) as f64;
                } else {
                    s.longitude = -(180.0 + 1.0 + (id % 170) as f64);
                }
            }
            Some(AnomalyKind::DuplicateStoreCode) => s.store_code = store_code(model, if id > 1 { id - 1 } else { id + 1 }),
            _ => {}
        }
        Some(Generated::anomaly(s, kind))
    }
}

/// `s` as a CSV line (no newline) into `b`.
pub fn push_store(b: &mut Vec<u8>, s: &Store) {
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
}

impl SourceRow for Store {
    const TABLE: Table = Table::Stores;
    fn truth_key(&self, _: Mark) -> String {
        self.store_id.to_string()
    }
}

impl ArrowRow for Store {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.store_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.store_code))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.name))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.channel))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.region))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.state))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.latitude))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.longitude))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.open_dt))),
                Arc::new(Date32Array::from_iter(rows.iter().map(|r| r.close_dt))),
            ],
        )
    }
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

/// A supplier row.
#[derive(Debug, Clone, PartialEq)]
pub struct Supplier {
    /// `supplier_id`.
    pub supplier_id: i64,
    /// `SUP-00042`.
    pub supplier_code: String,
    /// The company's name.
    pub name: String,
    /// ISO country code.
    pub country_code: &'static str,
    /// Days from order to delivery.
    pub lead_time_days: i32,
    /// A preferred supplier.
    pub preferred: bool,
}

/// Supplier `id`'s row.
pub fn supplier_row(model: &Model, id: i64) -> Supplier {
    let mut r = rng::rng(model.seed, Stream::Supplier, id as u64, 0);
    let name: String = CompanyName().fake_with_rng(&mut r);
    let (country, lo, hi) = SUPPLIER_COUNTRIES[r.random_range(0..SUPPLIER_COUNTRIES.len())];
    let lead_time_days = r.random_range(lo..=hi);
    Supplier {
        supplier_id: id,
        supplier_code: format!("SUP-{id:05}"),
        name,
        country_code: country,
        lead_time_days,
        preferred: r.random_bool(0.2),
    }
}

/// The suppliers file, in id order (suppliers carry no anomalies).
pub struct Suppliers<'m> {
    model: &'m Model,
    next_id: i64,
}

impl<'m> Suppliers<'m> {
    /// The suppliers file of `model`.
    pub fn new(model: &'m Model) -> Self {
        Suppliers { model, next_id: 1 }
    }
}

impl Iterator for Suppliers<'_> {
    type Item = Generated<Supplier>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = self.next_id;
        if id > self.model.n_suppliers {
            return None;
        }
        self.next_id += 1;
        Some(Generated::clean(supplier_row(self.model, id)))
    }
}

/// `s` as a CSV line (no newline) into `b`.
pub fn push_supplier(b: &mut Vec<u8>, s: &Supplier) {
    push_int(b, s.supplier_id);
    b.push(b',');
    b.extend_from_slice(s.supplier_code.as_bytes());
    b.push(b',');
    push_csv_str(b, &s.name);
    b.push(b',');
    push_csv_str(b, s.country_code);
    b.push(b',');
    push_int(b, s.lead_time_days as i64);
    b.push(b',');
    b.extend_from_slice(if s.preferred { b"true" } else { b"false" });
}

impl SourceRow for Supplier {
    const TABLE: Table = Table::Suppliers;
    fn truth_key(&self, _: Mark) -> String {
        self.supplier_id.to_string()
    }
}

impl ArrowRow for Supplier {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.supplier_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.supplier_code))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.name))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.country_code))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.lead_time_days))),
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.preferred)))),
            ],
        )
    }
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

    #[test]
    fn phones_and_emails_are_unique_per_person_except_the_deliberate_duplicates() {
        let m = Model::new(42, 0.5, DIM_ANCHOR);
        let rows: Vec<Generated<Customer>> = Customers::new(&m).collect();
        let mut phones = std::collections::HashMap::new();
        let mut emails = std::collections::HashMap::new();
        for g in &rows {
            let c = &g.row;
            // A person is a natural key: the duplicate-person anomaly repeats one under a new
            // customer_id, the only row allowed to repeat a phone or an email.
            let person = &c.natural_key;
            for (seen, value) in [(&mut phones, &c.phone), (&mut emails, &c.email)] {
                if let Some(v) = value
                    && let Some(other) = seen.insert(v.clone(), person.clone())
                {
                    assert_eq!(&other, person, "{v} belongs to two people");
                }
            }
        }
        assert!(phones.len() as f64 > 0.97 * m.n_customers as f64, "{} phones for {} customers", phones.len(), m.n_customers);
        assert!(emails.len() as f64 > 0.99 * m.n_customers as f64, "{} emails for {} customers", emails.len(), m.n_customers);
    }
}
