//! The model: table sizes for a scale, and the pure functions that compute any dimension member's
//! core attributes or any day's volume from the seed alone. Facts call these instead of looking
//! anything up, which is what lets every chunk be generated independently.

use rand::RngExt;
use rand_distr::Distribution;

use medallion_schema::anomaly::{ANOMALIES, AnomalyKind};
use medallion_schema::profile::Profile;

use crate::rng::{self, Stream, hash, unit};
use crate::text::{Day, days_from_civil, weekday};
use crate::world::{COUNTRIES, CURRENCIES, country_for};

/// Dimension timelines are anchored here, independent of the generated range, so that a base
/// run and a later increment agree on every dimension member.
pub const DIM_ANCHOR: Day = days_from_civil(2023, 1, 1);
/// The exchange-rate random walk starts here; generated dates may not precede it.
pub const FX_EPOCH: Day = days_from_civil(2010, 1, 1);
/// First day of a default run.
pub const DEFAULT_START: Day = DIM_ANCHOR;
/// Days of a default run (three years).
pub const DEFAULT_DAYS: u32 = 1095;

/// Rows at scale 1 (SPEC §2).
pub const CUSTOMERS_AT_1: f64 = 80_000.0;
/// Products at scale 1.
pub const PRODUCTS_AT_1: f64 = 25_000.0;
/// Stores at scale 1.
pub const STORES_AT_1: f64 = 5_000.0;
/// Suppliers at scale 1.
pub const SUPPLIERS_AT_1: f64 = 8_000.0;
/// Orders per day at scale 1 (≈1 M over three years).
pub const ORDERS_PER_DAY_AT_1: f64 = 1_000_000.0 / DEFAULT_DAYS as f64;
/// Events per day at scale 1 (≈2 M over three years).
pub const EVENTS_PER_DAY_AT_1: f64 = 2_000_000.0 / DEFAULT_DAYS as f64;
/// Hourly readings of 720 shelves over a year ≈ 6.3 million rows.
pub const SENSOR_SHELVES_AT_1: f64 = 720.0;
/// Sensors report over the last year of a base run at most.
pub const SENSOR_DAYS: u32 = 365;
/// Every 20th store id (1, 21, 41, …) is a web store.
pub const WEB_STORE_EVERY: i64 = 20;
/// Smallest dimension size, so tiny scales still have every kind of member.
const MIN_DIM: i64 = 20;

/// Ids used for deliberate foreign-key violations: far above any real key.
pub const UNKNOWN_CUSTOMER_BASE: i64 = 900_000_000;
/// Store ids used for deliberate foreign-key violations.
pub const UNKNOWN_STORE_BASE: i64 = 90_000_000;
/// Product ids used for deliberate foreign-key violations.
pub const UNKNOWN_PRODUCT_BASE: i64 = 900_000_000;

/// A store's core attributes, computed from the seed.
#[derive(Debug, Clone, Copy)]
pub struct StoreCore {
    /// Store id.
    pub id: i64,
    /// A web store (every 20th id).
    pub is_web: bool,
    /// Index into [`COUNTRIES`].
    pub country: usize,
    /// Index into the country's states.
    pub state: usize,
    /// Opening day.
    pub open_dt: Day,
    /// Closing day, if it closes.
    pub close_dt: Option<Day>,
}

impl StoreCore {
    /// The store's UTC offset in minutes.
    pub fn offset_min(&self) -> i32 {
        COUNTRIES[self.country].states[self.state].offset_min
    }
    /// Whether it trades on `day`.
    pub fn is_open_on(&self, day: Day) -> bool {
        self.open_dt <= day && self.close_dt.is_none_or(|c| day < c)
    }
}

/// A product's core attributes, computed from the seed.
#[derive(Debug, Clone, Copy)]
pub struct ProductCore {
    /// Product id.
    pub id: i64,
    /// Index into [`CATEGORIES`](crate::world::CATEGORIES).
    pub category: usize,
    /// Index into the category's subcategories.
    pub subcategory: usize,
    /// Catalogue price in AUD, scale 4 (whole cents).
    pub price_aud: i64,
    /// First day on sale.
    pub introduced_dt: Day,
    /// Last day on sale, if discontinued.
    pub discontinued_dt: Option<Day>,
}

impl ProductCore {
    /// Whether it is on sale on `day`.
    pub fn is_available_on(&self, day: Day) -> bool {
        self.introduced_dt <= day && self.discontinued_dt.is_none_or(|d| day < d)
    }
}

/// A customer's core attributes, computed from the seed.
#[derive(Debug, Clone, Copy)]
pub struct CustomerCore {
    /// Customer id.
    pub id: i64,
    /// Index into [`COUNTRIES`].
    pub country: usize,
    /// Index into the country's states.
    pub state: usize,
    /// The day they joined.
    pub join_day: Day,
}

/// A multiplier coprime to `n`, so `i ↦ i·m mod n` permutes 0..n (popularity rank → id).
fn coprime_multiplier(n: u64, salt: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    if n <= 1 {
        return 1;
    }
    let mut m = (rng::mix(salt) % n).max(1);
    while gcd(m, n) != 1 {
        m = m % (n - 1) + 1;
    }
    m
}

/// A number in 0‥range, different for each `id` below `range` (a bijection: multiplication
/// by a unit of ℤ/range, then a shift), scattered by `salt`. Gives unique phone numbers and
/// email suffixes without remembering which are taken.
pub fn unique_number(id: u64, range: u64, salt: u64) -> u64 {
    let m = coprime_multiplier(range, salt);
    ((id % range) as u128 * m as u128 + rng::mix(salt ^ 0x5eed) as u128 % range as u128) as u64 % range
}

/// A Zipf–Mandelbrot popularity law over ranks 0‥n: rank r is drawn with weight
/// (r + head)^-exponent. `head` flattens the top — the `head` most popular members are
/// about equally popular, instead of rank 0 taking several percent of all draws as a plain Zipf
/// does — while the exponent keeps the long tail. Sampled by inverting the continuous law's
/// distribution function: one `powf` per draw, no table, exact for any n.
#[derive(Debug, Clone, Copy)]
pub struct Popularity {
    n: f64,
    head: f64,
    /// 1 - exponent (0 handled as the logarithmic case).
    one_minus_s: f64,
    /// The antiderivative at rank 0 and at rank n.
    at_0: f64,
    at_n: f64,
}

impl Popularity {
    /// The law over `n` members, with `exponent` > 0 and `head` ≥ 0 ranks of flattening.
    pub fn new(n: i64, exponent: f64, head: f64) -> Self {
        let mut law = Popularity { n: n.max(1) as f64, head: head.max(1e-9), one_minus_s: 1.0 - exponent, at_0: 0.0, at_n: 0.0 };
        (law.at_0, law.at_n) = (law.antiderivative(0.0), law.antiderivative(law.n));
        law
    }

    /// The weight's antiderivative (up to sign and constant, which cancel in ratios) at rank `x`.
    fn antiderivative(&self, x: f64) -> f64 {
        if self.is_logarithmic() { (x + self.head).ln() } else { (x + self.head).powf(self.one_minus_s) }
    }

    fn is_logarithmic(&self) -> bool {
        self.one_minus_s.abs() < 1e-9
    }

    /// The rank (0-based, below n) for a uniform `u` in [0, 1): the antiderivative's inverse.
    pub fn rank(&self, u: f64) -> u64 {
        let level = self.at_0 + u * (self.at_n - self.at_0);
        let x = if self.is_logarithmic() { level.exp() } else { level.powf(1.0 / self.one_minus_s) } - self.head;
        (x.max(0.0) as u64).min(self.n as u64 - 1)
    }

    /// The share of all draws the first `k` ranks take (for reports and tests).
    pub fn share_of_top(&self, k: f64) -> f64 {
        (self.antiderivative(k.min(self.n)) - self.at_0) / (self.at_n - self.at_0)
    }
}

/// Sizes and pure attribute functions for one (seed, scale).
#[derive(Debug, Clone)]
pub struct Model {
    /// The seed.
    pub seed: u64,
    /// The scale (1 = the brief's volumes).
    pub scale: f64,
    /// Customers.
    pub n_customers: i64,
    /// Products.
    pub n_products: i64,
    /// Stores (physical and web).
    pub n_stores: i64,
    /// Suppliers.
    pub n_suppliers: i64,
    /// Shelves carrying sensors.
    pub n_sensor_shelves: i64,
    customer_popularity: Popularity,
    product_popularity: Popularity,
    /// Each anomaly kind's rate, in catalogue order (the profile's).
    anomaly_rates: [f64; ANOMALIES.len()],
    customer_mult: u64,
    product_mult: u64,
    /// Daily AUD rates per currency from FX_EPOCH, walked once (see [`Model::fx_rate`]).
    fx: Vec<[f64; CURRENCIES.len()]>,
}

fn scaled(at_1: f64, scale: f64) -> i64 {
    ((at_1 * scale).round() as i64).max(MIN_DIM)
}

impl Model {
    /// The model of `seed` at `scale`, generating up to `last_day`, with the default profile.
    pub fn new(seed: u64, scale: f64, last_day: Day) -> Self {
        Self::with_profile(seed, scale, last_day, &Profile::default())
    }

    /// The model with `profile`'s anomaly rates and popularity laws. Customers' popularity head
    /// is a share of the customers (scale-free: the top fifth places about 75 % of orders at any
    /// scale); products' a number of ranks (a head of bestsellers whatever the catalogue size:
    /// the top product takes about 1 % of lines). See docs/decisions.md (generator realism).
    pub fn with_profile(seed: u64, scale: f64, last_day: Day, profile: &Profile) -> Self {
        let n_customers = scaled(CUSTOMERS_AT_1, scale);
        let n_products = scaled(PRODUCTS_AT_1, scale);
        Model {
            seed,
            scale,
            n_customers,
            n_products,
            n_stores: scaled(STORES_AT_1, scale),
            n_suppliers: scaled(SUPPLIERS_AT_1, scale),
            n_sensor_shelves: ((SENSOR_SHELVES_AT_1 * scale).round() as i64).max(1),
            customer_popularity: Popularity::new(n_customers, profile.customers.exponent, profile.customers.head * n_customers as f64),
            product_popularity: Popularity::new(n_products, profile.products.exponent, profile.products.head),
            anomaly_rates: profile.rates,
            customer_mult: coprime_multiplier(n_customers as u64, seed ^ 0xC057),
            product_mult: coprime_multiplier(n_products as u64, seed ^ 0x960D),
            fx: fx_walk(seed, last_day.max(FX_EPOCH)),
        }
    }

    /// The rates of every anomaly kind, in catalogue order.
    pub fn anomaly_rates(&self) -> &[f64; ANOMALIES.len()] {
        &self.anomaly_rates
    }

    /// The rate of `kind`.
    pub fn anomaly_rate(&self, kind: AnomalyKind) -> f64 {
        self.anomaly_rates[kind.index()]
    }

    // ---- stores -------------------------------------------------------------------------------

    /// Web stores.
    pub fn n_web_stores(&self) -> i64 {
        (self.n_stores - 1) / WEB_STORE_EVERY + 1
    }

    /// Physical stores.
    pub fn n_pos_stores(&self) -> i64 {
        self.n_stores - self.n_web_stores()
    }

    /// The k-th physical store (0-based) → its id (skipping the web ids 1, 21, 41, …).
    pub fn pos_store_id(k: i64) -> i64 {
        let per_block = WEB_STORE_EVERY - 1;
        (k / per_block) * WEB_STORE_EVERY + 2 + k % per_block
    }

    /// Store `id`'s core attributes.
    pub fn store(&self, id: i64) -> StoreCore {
        let h = hash(self.seed, Stream::Store, id as u64, 0);
        let is_web = (id - 1) % WEB_STORE_EVERY == 0;
        let country = country_for((h % 100) as u32);
        let states = COUNTRIES[country].states.len() as u64;
        let state = ((h >> 8) % states) as usize;
        // Web stores and each block's first physical store are always open: fallbacks for orders.
        let anchor_store = is_web || (id - 2) % WEB_STORE_EVERY == 0;
        let u = unit(hash(self.seed, Stream::Store, id as u64, 1));
        let open_dt = if anchor_store || u < 0.9 {
            days_from_civil(2005, 1, 1) + (u * 6500.0) as Day
        } else {
            DIM_ANCHOR + ((u - 0.9) * 10.0 * 1000.0) as Day
        };
        let v = unit(hash(self.seed, Stream::Store, id as u64, 2));
        let close_dt =
            (!anchor_store && v < 0.04).then(|| days_from_civil(2024, 1, 1) + (v / 0.04 * 700.0) as Day).filter(|c| *c > open_dt + 30);
        StoreCore { id, is_web, country, state, open_dt, close_dt }
    }

    /// A store for an order on `day`: busy stores are busier (a mild power law over a fixed
    /// permutation), and closed or not-yet-open stores are never chosen.
    pub fn pick_store(&self, rng: &mut rng::Rng, web: bool, day: Day) -> StoreCore {
        for _ in 0..8 {
            let id = if web {
                rng.random_range(0..self.n_web_stores()) * WEB_STORE_EVERY + 1
            } else {
                let n = self.n_pos_stores();
                let skew: f64 = rng.random::<f64>().powf(1.6);
                Self::pos_store_id(((skew * n as f64) as i64).min(n - 1))
            };
            let s = self.store(id);
            if s.is_open_on(day) {
                return s;
            }
        }
        self.store(if web { 1 } else { 2 })
    }

    // ---- products -----------------------------------------------------------------------------

    /// Product `id`'s core attributes.
    pub fn product(&self, id: i64) -> ProductCore {
        let h = hash(self.seed, Stream::Product, id as u64, 0);
        let category = (h % crate::world::CATEGORIES.len() as u64) as usize;
        let cat = &crate::world::CATEGORIES[category];
        let subcategory = ((h >> 16) % cat.subcategories.len() as u64) as usize;
        let mut r = rng::rng(self.seed, Stream::Product, id as u64, 1);
        let z: f64 = rand_distr::StandardNormal.sample(&mut r);
        let price = (cat.median_price * (cat.sigma * z).exp()).clamp(1.0, 5000.0);
        // Retail price points: whole dollars minus a cent (x.99 / x.49 below $10).
        let cents = if price < 10.0 { (price * 2.0).round() as i64 * 50 - 1 } else { price.round() as i64 * 100 - 1 };
        let price_aud = cents.max(99) * 100;
        let always_available = id % 7 == 1;
        let u: f64 = r.random();
        let introduced_dt = if always_available || u < 0.85 {
            days_from_civil(2018, 1, 1) + (u * 1800.0) as Day
        } else {
            DIM_ANCHOR + ((u - 0.85) / 0.15 * 1000.0) as Day
        };
        let v: f64 = r.random();
        let discontinued_dt = (!always_available && v < 0.08).then(|| introduced_dt + 200 + (v / 0.08 * 900.0) as Day);
        ProductCore { id, category, subcategory, price_aud, introduced_dt, discontinued_dt }
    }

    /// A product for an order line: the profile's product popularity over a fixed permutation of ids, only
    /// products on sale that day.
    pub fn pick_product(&self, rng: &mut rng::Rng, day: Day) -> ProductCore {
        for _ in 0..8 {
            let rank = self.product_popularity.rank(rng.random());
            let id = (rank * self.product_mult % self.n_products as u64) as i64 + 1;
            let p = self.product(id);
            if p.is_available_on(day) {
                return p;
            }
        }
        self.product(1)
    }

    // ---- customers ----------------------------------------------------------------------------

    /// Customer `id`'s core attributes.
    pub fn customer(&self, id: i64) -> CustomerCore {
        let h = hash(self.seed, Stream::Customer, id as u64, 0);
        let country = country_for((h % 100) as u32);
        let state = ((h >> 8) % COUNTRIES[country].states.len() as u64) as usize;
        let u = unit(hash(self.seed, Stream::Customer, id as u64, 1));
        // One customer in seven joined during 2023–2025; the rest before (fallbacks for orders).
        let join_day = if id % 7 == 0 { DIM_ANCHOR + (u * 1090.0) as Day } else { days_from_civil(2015, 1, 1) + (u * 2900.0) as Day };
        CustomerCore { id, country, state, join_day }
    }

    /// A customer for an order on `day`: the profile's customer popularity over a fixed permutation of ids,
    /// only customers who had joined.
    pub fn pick_customer(&self, rng: &mut rng::Rng, day: Day) -> CustomerCore {
        for _ in 0..8 {
            let c = self.customer(self.customer_by_rank(self.customer_popularity.rank(rng.random())));
            if c.join_day < day {
                return c;
            }
        }
        self.customer(1)
    }

    fn customer_by_rank(&self, rank: u64) -> i64 {
        (rank * self.customer_mult % self.n_customers as u64) as i64 + 1
    }

    // ---- volumes ------------------------------------------------------------------------------

    /// Seasonality × weekday pattern × growth × noise, around 1.0.
    fn day_factor(&self, day: Day, stream: Stream) -> f64 {
        const MONTH: [f64; 12] = [0.88, 0.85, 0.92, 0.95, 1.0, 0.97, 0.95, 0.97, 1.0, 1.05, 1.2, 1.36];
        const WEEKDAY: [f64; 7] = [0.93, 0.9, 0.94, 0.99, 1.07, 1.14, 1.03];
        let (y, m, d) = crate::text::civil_from_days(day);
        let mut f = MONTH[m as usize - 1] * WEEKDAY[weekday(day) as usize];
        // Black Friday week and the run-up to Christmas.
        if m == 11 && d >= 22 {
            f *= 1.4;
        }
        f *= 1.0 + 0.08 * (y - 2024) as f64;
        let noise = unit(hash(self.seed, stream, day as u64, 0));
        f * (0.94 + 0.12 * noise)
    }

    /// Stochastic rounding keeps tiny scales unbiased (0.3 orders a day is 0 or 1).
    fn round_count(&self, x: f64, day: Day, stream: Stream) -> u64 {
        let u = unit(hash(self.seed, stream, day as u64, 1));
        (x + u).floor().max(0.0) as u64
    }

    /// Orders placed on `day` (a seasonal, weekly and random pattern).
    pub fn orders_on(&self, day: Day) -> u64 {
        self.round_count(ORDERS_PER_DAY_AT_1 * self.scale * self.day_factor(day, Stream::DayVolume), day, Stream::DayVolume)
    }

    /// Clickstream events on `day`.
    pub fn events_on(&self, day: Day) -> u64 {
        self.round_count(EVENTS_PER_DAY_AT_1 * self.scale * self.day_factor(day, Stream::EventDay), day, Stream::EventDay)
    }

    // ---- exchange rates -----------------------------------------------------------------------

    /// Units of AUD per unit of `currency` on `day` (weekends carry Friday's rate).
    pub fn fx_rate(&self, day: Day, currency: usize) -> f64 {
        let i = ((day - FX_EPOCH).max(0) as usize).min(self.fx.len() - 1);
        self.fx[i][currency]
    }
}

/// The index of a currency code in [`CURRENCIES`] (AUD when unknown).
pub fn currency_index(code: &str) -> usize {
    CURRENCIES.iter().position(|(c, _)| *c == code).unwrap_or(0)
}

/// A mean-reverting log random walk per currency, stepping on weekdays only, rounded to the
/// 8 decimals the table stores so that every consumer sees exactly the published rate.
fn fx_walk(seed: u64, last_day: Day) -> Vec<[f64; CURRENCIES.len()]> {
    let days = (last_day - FX_EPOCH + 1) as usize;
    let mut out = Vec::with_capacity(days);
    let mut log_dev = [0.0f64; CURRENCIES.len()];
    let mut r = rng::rng(seed, Stream::Fx, 0, 0);
    for i in 0..days {
        let day = FX_EPOCH + i as Day;
        if weekday(day) < 5 {
            for dev in log_dev.iter_mut().skip(1) {
                let z: f64 = rand_distr::StandardNormal.sample(&mut r);
                *dev = *dev * 0.995 + 0.004 * z;
            }
        }
        let mut row = [0.0; CURRENCIES.len()];
        for (c, (_, level)) in CURRENCIES.iter().enumerate() {
            row[c] = ((level * log_dev[c].exp()) * 1e8).round() / 1e8;
        }
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pos_store_ids_skip_web_ids() {
        let ids: Vec<i64> = (0..40).map(Model::pos_store_id).collect();
        assert!(ids.iter().all(|id| (id - 1) % WEB_STORE_EVERY != 0));
        assert_eq!(ids[0], 2);
        assert_eq!(ids[19], 22);
        let m = Model::new(1, 0.01, DIM_ANCHOR);
        assert_eq!(m.n_pos_stores() + m.n_web_stores(), m.n_stores);
        assert!(Model::pos_store_id(m.n_pos_stores() - 1) <= m.n_stores);
    }

    #[test]
    fn picks_respect_timelines() {
        let m = Model::new(3, 0.01, DIM_ANCHOR + 400);
        let mut r = rng::rng(3, Stream::Order, 0, 0);
        for i in 0..2000 {
            let day = DIM_ANCHOR + (i % 400);
            assert!(m.pick_store(&mut r, i % 3 == 0, day).is_open_on(day));
            assert!(m.pick_product(&mut r, day).is_available_on(day));
            assert!(m.pick_customer(&mut r, day).join_day < day);
        }
    }

    #[test]
    fn popularity_draws_follow_its_law_with_a_flat_head_and_a_long_tail() {
        for (exponent, head, n) in [(2.0, 8_000.0, 80_000), (1.1, 25.0, 25_000), (1.0, 10.0, 500), (1.1, 25.0, 20)] {
            let law = Popularity::new(n, exponent, head);
            let mut counts = vec![0u64; n as usize];
            let mut r = rng::rng(5, Stream::Order, n as u64, 0);
            let draws = 400_000u64;
            for _ in 0..draws {
                counts[law.rank(r.random()) as usize] += 1;
            }
            // Every rank is reachable, and the top fifth's share is what the law says.
            assert_eq!(law.rank(0.0), 0);
            assert_eq!(law.rank(1.0 - 1e-12), n as u64 - 1);
            let fifth = (n / 5) as usize;
            let measured = counts[..fifth].iter().sum::<u64>() as f64 / draws as f64;
            let expected = law.share_of_top(fifth as f64);
            assert!((measured - expected).abs() < 0.01, "{exponent}/{head}/{n}: top fifth {measured} vs {expected}");
            // No single member dominates: a plain Zipf (head 0) gives rank 0 far more.
            assert!(law.share_of_top(1.0) < 0.15, "{}", law.share_of_top(1.0));
            assert!(law.share_of_top(1.0) < Popularity::new(n, exponent, 0.0).share_of_top(1.0) / 2.0);
        }
    }

    #[test]
    fn fx_carries_friday_over_the_weekend() {
        let m = Model::new(9, 0.01, DIM_ANCHOR + 30);
        let friday = (DIM_ANCHOR..DIM_ANCHOR + 7).find(|d| weekday(*d) == 4).unwrap();
        for c in 0..CURRENCIES.len() {
            assert_eq!(m.fx_rate(friday, c), m.fx_rate(friday + 1, c));
            assert_eq!(m.fx_rate(friday, c), m.fx_rate(friday + 2, c));
        }
        assert_eq!(m.fx_rate(friday, 0), 1.0);
        assert_ne!(m.fx_rate(friday, 1), m.fx_rate(friday + 3, 1));
    }
}
