//! The catalogue of anomaly kinds (SPEC §2, "Required anomalies") with the rates the generator
//! targets and the ranges a test accepts. Rates are fractions of the table's rows.

use crate::Table;

/// An anomaly kind the generator injects and the pipeline must catch (see [`ANOMALIES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyKind {
    /// An email that is not an address.
    MalformedEmail,
    /// The same person under two customer ids.
    DuplicateNaturalKey,
    /// No phone.
    NullPhone,
    /// No address.
    NullAddress,
    /// A missing, zero or negative price.
    InvalidPrice,
    /// Discontinued without a date.
    DiscontinuedWithoutDate,
    /// Coordinates off the globe.
    ImpossibleCoordinates,
    /// Two stores with one code.
    DuplicateStoreCode,
    /// An order of a customer that does not exist.
    UnknownCustomer,
    /// An order at a store that does not exist.
    UnknownStore,
    /// The same order in two files.
    DuplicateOrderId,
    /// A line of a product that does not exist.
    UnknownProduct,
    /// A negative quantity.
    NegativeQty,
    /// A zero unit price.
    ZeroPrice,
    /// An event line that is not JSON.
    MalformedJson,
    /// An event without one of its envelope fields.
    MissingEnvelopeField,
    /// A reading outside the sensor's range.
    OutOfRangeReading,
    /// A reading without its timestamp.
    MissingSensorTs,
    /// A shipment not delivered by the end of the data.
    InTransit,
    /// A delivery later than the carrier's SLA.
    LateDelivery,
}

/// What the generator aims for and what a test accepts.
#[derive(Debug, Clone, Copy)]
pub struct AnomalySpec {
    /// The kind.
    pub kind: AnomalyKind,
    /// The table it appears in.
    pub table: Table,
    /// Stable snake_case code, used in the ground-truth log and as reject/flag reason.
    pub code: &'static str,
    /// What it looks like, in words.
    pub description: &'static str,
    /// Target fraction of the table's rows.
    pub rate: f64,
    /// Accepted range of the measured fraction (from SPEC; "some"/"rare" made concrete here).
    pub range: (f64, f64),
}

const fn spec(kind: AnomalyKind, table: Table, code: &'static str, description: &'static str, rate: f64, range: (f64, f64)) -> AnomalySpec {
    AnomalySpec { kind, table, code, description, rate, range }
}

use AnomalyKind as K;

/// The catalogue, in the order the generator assigns rate intervals (do not reorder: it feeds the output).
pub const ANOMALIES: [AnomalySpec; 20] = [
    spec(K::MalformedEmail, Table::Customers, "malformed_email", "email without @, with spaces or without a domain", 0.0075, (0.005, 0.01)),
    spec(
        K::DuplicateNaturalKey,
        Table::Customers,
        "duplicate_natural_key",
        "a second, updated record of the same person under a new customer_id",
        0.002,
        (0.0015, 0.0025),
    ),
    spec(K::NullPhone, Table::Customers, "null_phone", "phone missing", 0.02, (0.005, 0.05)),
    spec(K::NullAddress, Table::Customers, "null_address", "address_line1, city and postcode missing", 0.01, (0.005, 0.05)),
    spec(K::InvalidPrice, Table::Products, "invalid_price", "current_price null, zero or negative", 0.003, (0.001, 0.005)),
    spec(
        K::DiscontinuedWithoutDate,
        Table::Products,
        "discontinued_without_date",
        "is_discontinued true but discontinued_dt null",
        0.01,
        (0.002, 0.03),
    ),
    spec(
        K::ImpossibleCoordinates,
        Table::Stores,
        "impossible_coordinates",
        "latitude outside ±90 or longitude outside ±180",
        0.01,
        (0.002, 0.03),
    ),
    spec(K::DuplicateStoreCode, Table::Stores, "duplicate_store_code", "store_code already used by another store", 0.005, (0.001, 0.02)),
    spec(K::UnknownCustomer, Table::OrdersHeader, "unknown_customer", "customer_id not in customers", 0.005, (0.003, 0.008)),
    spec(K::UnknownStore, Table::OrdersHeader, "unknown_store", "store_id not in stores", 0.005, (0.003, 0.008)),
    spec(
        K::DuplicateOrderId,
        Table::OrdersHeader,
        "duplicate_order_id",
        "the same order_id again in another day's file",
        0.0005,
        (0.0003, 0.0008),
    ),
    spec(K::UnknownProduct, Table::OrdersLines, "unknown_product", "product_id not in products", 0.01, (0.008, 0.012)),
    spec(K::NegativeQty, Table::OrdersLines, "negative_qty", "qty below zero", 0.0002, (0.00005, 0.001)),
    spec(K::ZeroPrice, Table::OrdersLines, "zero_price", "unit_price of zero", 0.0002, (0.00005, 0.001)),
    spec(K::MalformedJson, Table::Events, "malformed_json", "line is not valid JSON (truncated or corrupted)", 0.0005, (0.0003, 0.0008)),
    spec(K::MissingEnvelopeField, Table::Events, "missing_envelope_field", "a required envelope field is absent", 0.002, (0.001, 0.005)),
    spec(
        K::OutOfRangeReading,
        Table::Sensors,
        "out_of_range_reading",
        "temperature outside -40..85 °C or humidity outside 0..100 %",
        0.003,
        (0.001, 0.005),
    ),
    spec(K::MissingSensorTs, Table::Sensors, "missing_sensor_ts", "sensor_ts empty", 0.0005, (0.0001, 0.002)),
    spec(K::InTransit, Table::Shipments, "in_transit", "not delivered yet: delivered_at null", 0.005, (0.002, 0.2)),
    spec(K::LateDelivery, Table::Shipments, "late_delivery", "delivered later than the carrier's SLA", 0.05, (0.03, 0.08)),
];

impl AnomalyKind {
    /// The kind's catalogue entry.
    pub fn spec(self) -> &'static AnomalySpec {
        ANOMALIES.iter().find(|s| s.kind == self).expect("every kind has a spec")
    }

    /// The kind's position in [`ANOMALIES`] (where a profile keeps its rate).
    pub fn index(self) -> usize {
        ANOMALIES.iter().position(|s| s.kind == self).expect("every kind has a spec")
    }

    /// The kind's code, as the ground-truth log and the Silver flags write it.
    pub fn code(self) -> &'static str {
        self.spec().code
    }

    /// The table it appears in.
    pub fn table(self) -> Table {
        self.spec().table
    }

    /// The kind of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        ANOMALIES.iter().find(|s| s.code == code).map(|s| s.kind)
    }

    /// The kinds seeded into one table, in catalogue order.
    pub fn of_table(table: Table) -> impl Iterator<Item = AnomalyKind> {
        ANOMALIES.iter().filter(move |s| s.table == table).map(|s| s.kind)
    }
}

impl AnomalySpec {
    /// The fraction of `rows` a dataset made with the catalogue's rate may hold of this kind
    /// (see [`AnomalySpec::accepted_rate_at`]).
    pub fn accepted_rate(&self, rows: u64) -> (f64, f64) {
        self.accepted_rate_at(self.rate, rows)
    }

    /// The fraction of `rows` a dataset made with `rate` (a profile's) may hold: the stated
    /// range scaled to `rate`, widened by binomial noise (three standard deviations and two
    /// rows) when fewer than 20 rows are expected, too few for a range to mean something;
    /// exactly none for a rate of 0. (The range, not only the noise, still holds for few rows:
    /// in_transit adds the parcels travelling at the horizon to the injected ones.)
    pub fn accepted_rate_at(&self, rate: f64, rows: u64) -> (f64, f64) {
        if rate == 0.0 {
            return (0.0, 0.0);
        }
        let scale = rate / self.rate;
        let range = (self.range.0 * scale, (self.range.1 * scale).min(1.0));
        let expected = rate * rows as f64;
        if expected >= 20.0 {
            return range;
        }
        let slack = 3.0 * expected.sqrt() + 2.0;
        let rows = rows.max(1) as f64;
        (((expected - slack) / rows).max(0.0).min(range.0), ((expected + slack) / rows).min(1.0).max(range.1))
    }

    /// Whether `count` of `rows` is an accepted amount of this kind.
    pub fn accepts(&self, count: u64, rows: u64) -> bool {
        let (low, high) = self.accepted_rate(rows);
        let rate = count as f64 / rows.max(1) as f64;
        low <= rate && rate <= high
    }
}

/// Physical limits of a shelf sensor; readings outside are anomalies.
pub const TEMPERATURE_RANGE_C: (f64, f64) = (-40.0, 85.0);
/// The range a humidity reading must lie in.
pub const HUMIDITY_RANGE_PCT: (f64, f64) = (0.0, 100.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_rates_sit_in_their_ranges() {
        for (i, a) in ANOMALIES.iter().enumerate() {
            assert!(a.range.0 <= a.rate && a.rate <= a.range.1, "{}", a.code);
            assert_eq!(AnomalyKind::from_code(a.code), Some(a.kind));
            assert!(ANOMALIES[i + 1..].iter().all(|b| b.code != a.code && b.kind != a.kind));
        }
        // Rates of one table partition one uniform draw, so they must sum below 1.
        for t in Table::ALL {
            let sum: f64 = AnomalyKind::of_table(t).map(|k| k.spec().rate).sum();
            assert!(sum < 0.5, "{t}");
        }
    }

    #[test]
    fn accepted_rates_follow_the_profile_and_widen_for_few_rows() {
        let email = AnomalyKind::MalformedEmail.spec(); // 0.75 % in 0.5–1 %
        assert_eq!(email.accepted_rate(100_000), (0.005, 0.01));
        assert_eq!(email.accepted_rate_at(0.0, 100_000), (0.0, 0.0), "a rate of 0 accepts none");
        let (low, high) = email.accepted_rate_at(0.075, 100_000);
        assert!((low - 0.05).abs() < 1e-12 && (high - 0.1).abs() < 1e-12, "{low} {high}");
        assert_eq!(email.accepted_rate_at(1.0, 100_000).1, 1.0, "never above every row");
        // 100 rows expect 0.75 of one: noise, not the range, decides; the range stays inside.
        let (low, high) = email.accepted_rate(100);
        assert!(low == 0.0 && high > 0.03, "{low} {high}");
        assert!(email.accepts(2, 100) && !email.accepts(6, 100));
        // in_transit's range holds at few rows too (the horizon's parcels come on top).
        let in_transit = AnomalyKind::InTransit.spec();
        assert!(in_transit.accepts(30, 300), "{:?}", in_transit.accepted_rate(300));
    }
}
