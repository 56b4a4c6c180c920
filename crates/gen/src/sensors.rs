//! Smart-shelf sensors: hourly temperature, humidity and battery readings per shelf, one file
//! per store and month.

use std::sync::Arc;

use arrow::array::{Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::error::ArrowError;
use medallion_schema::{AnomalyKind, Table};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::dims::picker;
use crate::model::{Model, WEB_STORE_EVERY};
use crate::rng::{self, KindPicker, Stream, hash};
use crate::text::{Day, MICROS_PER_SECOND, push_decimal, push_int, push_ts};
use crate::{ArrowRow, Generated, Mark, SourceRow};

const SHELVES_PER_STORE: i64 = 12;

/// The instrumented stores and their shelf counts. Only stores open throughout (the first
/// physical store of each block of ids) carry sensors, so no reading predates its store.
pub fn sensor_stores(model: &Model) -> Vec<(i64, u32)> {
    let anchors = (model.n_stores - 2) / WEB_STORE_EVERY + 1;
    let total = model.n_sensor_shelves;
    let stores = ((total + SHELVES_PER_STORE - 1) / SHELVES_PER_STORE).clamp(1, anchors);
    (0..stores).map(|k| (2 + k * WEB_STORE_EVERY, (total / stores + i64::from(k < total % stores)) as u32)).collect()
}

#[derive(Debug, Clone, Copy)]
struct Shelf {
    /// (mean °C, sd, mean humidity %, sd)
    climate: (f64, f64, f64, f64),
    minute: i64,
    battery_phase: i64,
}

fn shelf(model: &Model, store_id: i64, no: u32) -> Shelf {
    let h = hash(model.seed, Stream::Sensor, store_id as u64, 1_000 + no as u64);
    let climate = match h % 10 {
        0..=2 => (3.5, 0.8, 85.0, 4.0), // fridge
        3 => (-18.0, 1.2, 70.0, 5.0),   // freezer
        _ => (21.0, 1.0, 50.0, 8.0),    // ambient
    };
    Shelf { climate, minute: ((h >> 8) % 60) as i64, battery_phase: ((h >> 16) % 400) as i64 }
}

/// One hourly reading of a shelf.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorReading {
    /// When it was taken, a UTC instant (microseconds).
    pub ts_us: i64,
    /// A `missing_sensor_ts` reading: the file leaves `sensor_ts` empty.
    pub ts_missing: bool,
    /// The store's UTC offset, in which `sensor_ts` is written.
    pub offset_min: i32,
    /// The store.
    pub store_id: i64,
    /// The shelf, 1-based (`shelf_id` is `SH-01`).
    pub shelf_no: u32,
    /// °C, scale 2.
    pub temperature_c: i64,
    /// %, scale 2.
    pub humidity_pct: i64,
    /// Millivolts.
    pub battery_mv: i64,
}

impl SensorReading {
    /// `sensor_ts` as the source holds it.
    pub fn sensor_ts(&self) -> Option<i64> {
        (!self.ts_missing).then_some(self.ts_us)
    }

    /// `SH-01`.
    pub fn shelf_id(&self) -> String {
        format!("SH-{:02}", self.shelf_no)
    }

    /// The reading as a CSV line (no newline) into `b`; `shelf_id` is the shelf's id, passed in
    /// so a writer formats it once per shelf.
    pub fn push_csv(&self, b: &mut Vec<u8>, shelf_id: &str) {
        if !self.ts_missing {
            push_ts(b, self.ts_us, self.offset_min);
        }
        b.push(b',');
        push_int(b, self.store_id);
        b.push(b',');
        b.extend_from_slice(shelf_id.as_bytes());
        b.push(b',');
        push_decimal(b, self.temperature_c, 2);
        b.push(b',');
        push_decimal(b, self.humidity_pct, 2);
        b.push(b',');
        push_int(b, self.battery_mv);
    }
}

/// The readings of one store's shelves over days `from..to` (one calendar month at most: the
/// chunk of one file), in file order: day, hour, shelf.
///
/// ```
/// use medallion_gen::{model::Model, sensors::{SensorReadings, sensor_stores}, text::parse_date};
/// let day = parse_date("2024-05-01").unwrap();
/// let model = Model::new(42, 0.01, day + 2);
/// let (store, shelves) = sensor_stores(&model)[0];
/// let readings: Vec<_> = SensorReadings::new(&model, store, shelves, day, day + 2).collect();
/// assert_eq!(readings.len(), 2 * 24 * shelves as usize);
/// ```
pub struct SensorReadings<'m> {
    model: &'m Model,
    store_id: i64,
    offset_min: i32,
    shelves: Vec<Shelf>,
    picker: KindPicker,
    to: Day,
    /// The next day to generate.
    day: Day,
    /// Readings of the store's chunk so far (the anomaly sequence runs over the chunk).
    row: u64,
    /// One day of readings, generated together (each day has its own random stream).
    buffer: Vec<Generated<SensorReading>>,
    /// The next reading of `buffer` the iterator hands out.
    next_in_buffer: usize,
}

/// A gentle daily cycle: warmest mid-afternoon local time.
fn daily_cycle(hour: i64) -> f64 {
    ((hour - 9) as f64 / 24.0 * std::f64::consts::TAU).sin()
}

impl<'m> SensorReadings<'m> {
    /// Store `store_id`'s `shelves` shelves over `from..to`.
    pub fn new(model: &'m Model, store_id: i64, shelves: u32, from: Day, to: Day) -> Self {
        SensorReadings {
            model,
            store_id,
            offset_min: model.store(store_id).offset_min(),
            shelves: (0..shelves).map(|n| shelf(model, store_id, n)).collect(),
            picker: picker(model, Table::Sensors, (store_id as u64) << 20 ^ from as u64),
            to,
            day: from,
            row: 0,
            buffer: Vec::with_capacity(24 * shelves as usize),
            next_in_buffer: 0,
        }
    }

    /// The next day's readings as a slice (a writer reads them in place, without moving each
    /// row out); `None` after the last day. The iterator hands out the same rows one by one.
    pub fn next_day(&mut self) -> Option<&[Generated<SensorReading>]> {
        if self.day >= self.to || self.shelves.is_empty() {
            return None;
        }
        self.fill_day();
        self.next_in_buffer = self.buffer.len();
        Some(&self.buffer)
    }

    /// Generates the readings of `self.day` (hour by hour, shelf by shelf) into the buffer.
    fn fill_day(&mut self) {
        self.buffer.clear();
        self.next_in_buffer = 0;
        let (day, offset_min, store_id) = (self.day, self.offset_min, self.store_id);
        let mut r = rng::rng(self.model.seed, Stream::Sensor, store_id as u64, day as u64);
        for hour in 0..24i64 {
            let cycle = daily_cycle(hour);
            for (n, s) in self.shelves.iter().enumerate() {
                let (t_mean, t_sd, h_mean, h_sd) = s.climate;
                let t = Normal::new(t_mean + cycle * t_sd, t_sd).expect("sd > 0").sample(&mut r).clamp(-35.0, 50.0);
                let hum = Normal::new(h_mean, h_sd).expect("sd > 0").sample(&mut r).clamp(5.0, 99.0);
                let mut temperature_c = (t * 100.0).round() as i64;
                let mut humidity_pct = (hum * 100.0).round() as i64;
                let battery_mv = 3300 - (day as i64 + s.battery_phase) % 400 + r.random_range(-5..=5);
                let ts_us = (day as i64 * 86_400 + hour * 3600 + s.minute * 60 - offset_min as i64 * 60) * MICROS_PER_SECOND;
                let row = self.row;
                let kind = self.picker.pick(row);
                if kind == Some(AnomalyKind::OutOfRangeReading) {
                    if row.is_multiple_of(2) {
                        temperature_c = [15_000, -9_999, 12_750][(row / 2 % 3) as usize];
                    } else {
                        humidity_pct = [12_550, -500][(row / 2 % 2) as usize];
                    }
                }
                self.row += 1;
                let reading = SensorReading {
                    ts_us,
                    ts_missing: kind == Some(AnomalyKind::MissingSensorTs),
                    offset_min,
                    store_id,
                    shelf_no: n as u32 + 1,
                    temperature_c,
                    humidity_pct,
                    battery_mv,
                };
                self.buffer.push(Generated::anomaly(reading, kind));
            }
        }
        self.day += 1;
    }
}

impl Iterator for SensorReadings<'_> {
    type Item = Generated<SensorReading>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next_in_buffer == self.buffer.len() {
            if self.day >= self.to || self.shelves.is_empty() {
                return None;
            }
            self.fill_day();
        }
        self.next_in_buffer += 1;
        Some(self.buffer[self.next_in_buffer - 1].clone())
    }
}

impl SourceRow for SensorReading {
    const TABLE: Table = Table::Sensors;
    fn truth_key(&self, _: Mark) -> String {
        format!("{}|{}|{}", self.store_id, self.shelf_id(), self.ts_us)
    }
}

impl ArrowRow for SensorReading {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        let dec = |f: fn(&SensorReading) -> i64| {
            Decimal128Array::from_iter_values(rows.iter().map(|r| f(r) as i128)).with_precision_and_scale(5, 2)
        };
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(TimestampMicrosecondArray::from_iter(rows.iter().map(SensorReading::sensor_ts))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.store_id))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(SensorReading::shelf_id))),
                Arc::new(dec(|r| r.temperature_c)?),
                Arc::new(dec(|r| r.humidity_pct)?),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.battery_mv as i32))),
            ],
        )
    }
}
