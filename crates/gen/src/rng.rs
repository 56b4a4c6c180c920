//! Deterministic randomness: every (table, chunk, row) draws from its own stream derived from the
//! seed, so output bytes never depend on thread count, scheduling or which machine made a part.

use medallion_schema::anomaly::ANOMALIES;
use medallion_schema::{AnomalyKind, Table};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type Rng = Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a fast, well-mixing bijection on u64.
#[inline]
pub const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Stream tags: one per independent use, so adding a draw to one never shifts another.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Stream {
    // Explicit numbers: they feed the hashes, so the output must not depend on declaration order.
    /// Customer attributes.
    Customer = 1,
    /// Product attributes.
    Product = 2,
    /// Store attributes.
    Store = 3,
    /// Supplier attributes.
    Supplier = 4,
    /// Daily volumes.
    DayVolume = 5,
    /// Orders and lines.
    Order = 6,
    /// Order-level anomalies.
    OrderAnomaly = 7,
    /// Shipments.
    Shipment = 8,
    /// Returns.
    Return = 9,
    /// Return corrections and cancellations.
    ReturnChange = 10,
    /// A day of events.
    EventDay = 11,
    /// Sensor readings.
    Sensor = 12,
    /// Exchange rates.
    Fx = 13,
    /// Customer moves.
    CustomerChange = 14,
    /// Price changes.
    ProductChange = 15,
    /// Where each chunk's anomaly sequence starts.
    AnomalyOffset = 16,
}

/// The number a table feeds into its anomaly streams: fixed here, so that reordering
/// [`Table`] (or adding a table) never changes the output.
pub const fn table_tag(table: Table) -> u64 {
    match table {
        Table::Customers => 0,
        Table::Products => 1,
        Table::Stores => 2,
        Table::Suppliers => 3,
        Table::OrdersHeader => 4,
        Table::OrdersLines => 5,
        Table::Events => 6,
        Table::Sensors => 7,
        Table::ExchangeRates => 8,
        Table::Shipments => 9,
        Table::Returns => 10,
    }
}

/// A hash of (seed, stream, a, b).
#[inline]
pub fn hash(seed: u64, stream: Stream, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ (stream as u64).wrapping_mul(0xA24B_AED4_963E_E407)) ^ a) ^ b.wrapping_mul(0x9FB2_1C65_1E98_DF25))
}

/// An RNG for (seed, stream, a, b).
#[inline]
pub fn rng(seed: u64, stream: Stream, a: u64, b: u64) -> Rng {
    Rng::seed_from_u64(hash(seed, stream, a, b))
}

/// Uniform in [0, 1) from a hash.
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Picks which rows of a chunk carry which anomaly: a Weyl sequence (golden-ratio steps from a
/// random start) is equidistributed, so within every chunk the share of rows landing in each
/// kind's interval is its rate to within about one row — far tighter than independent coin flips.
#[derive(Debug, Clone)]
pub struct AnomalyPicker {
    start: u64,
    /// Cumulative upper bounds (as u64 fractions of 2^64) of each kind's interval.
    bounds: Vec<u64>,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl AnomalyPicker {
    /// A picker for `rates` (in catalogue order) of chunk `chunk` of the table tagged `table_tag`.
    pub fn new(seed: u64, table_tag: u64, chunk: u64, rates: &[f64]) -> Self {
        let mut acc = 0.0;
        let bounds = rates
            .iter()
            .map(|r| {
                acc += r;
                (acc.min(1.0) * u64::MAX as f64) as u64
            })
            .collect();
        AnomalyPicker { start: hash(seed, Stream::AnomalyOffset, table_tag, chunk), bounds }
    }

    /// The index of the kind row `i` carries, if any.
    #[inline]
    pub fn pick(&self, i: u64) -> Option<usize> {
        let u = self.start.wrapping_add(i.wrapping_mul(GOLDEN));
        self.bounds.iter().position(|&b| u < b)
    }
}

/// Which anomaly kind, if any, each row of one chunk of a table carries.
#[derive(Debug, Clone)]
pub struct KindPicker {
    picker: AnomalyPicker,
    kinds: Vec<AnomalyKind>,
}

impl KindPicker {
    /// The picker of chunk `chunk` of `table`, with the rates (of every kind, in catalogue
    /// order) of its kinds.
    pub fn new(seed: u64, table: Table, chunk: u64, all_rates: &[f64; ANOMALIES.len()]) -> Self {
        let (kinds, rates): (Vec<AnomalyKind>, Vec<f64>) =
            ANOMALIES.iter().zip(all_rates).filter(|(a, _)| a.table == table).map(|(a, r)| (a.kind, *r)).unzip();
        KindPicker { picker: AnomalyPicker::new(seed, table_tag(table), chunk, &rates), kinds }
    }

    /// The kind row `i` of the chunk carries, if any.
    #[inline]
    pub fn pick(&self, i: u64) -> Option<AnomalyKind> {
        self.picker.pick(i).map(|k| self.kinds[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_its_own_tag() {
        // (The committed sample pins the values themselves: changing one changes its bytes.)
        let tags: std::collections::BTreeSet<u64> = Table::ALL.into_iter().map(table_tag).collect();
        assert_eq!(tags.len(), Table::ALL.len());
    }

    #[test]
    fn picker_hits_rates_tightly() {
        let p = AnomalyPicker::new(7, 1, 3, &[0.01, 0.002]);
        let n = 10_000;
        let mut counts = [0usize; 2];
        for i in 0..n {
            if let Some(k) = p.pick(i) {
                counts[k] += 1;
            }
        }
        assert!((counts[0] as i64 - 100).abs() <= 2, "{counts:?}");
        assert!((counts[1] as i64 - 20).abs() <= 2, "{counts:?}");
    }

    #[test]
    fn streams_are_independent_of_each_other() {
        assert_ne!(hash(1, Stream::Order, 5, 0), hash(1, Stream::Shipment, 5, 0));
        assert_ne!(hash(1, Stream::Order, 5, 0), hash(2, Stream::Order, 5, 0));
        assert_eq!(hash(1, Stream::Order, 5, 0), hash(1, Stream::Order, 5, 0));
    }
}
