//! Smart-shelf sensors: hourly temperature, humidity and battery readings per shelf, one file
//! per store and month.

use medallion_schema::{AnomalyKind, PathVars, Table, render_path};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::dims::picker;
use crate::model::{Model, WEB_STORE_EVERY};
use crate::rng::{self, Stream, hash};
use crate::sink::TextSink;
use crate::text::{Day, MICROS_PER_SECOND, month_string, push_decimal, push_int, push_ts};
use crate::{Ctx, GenError, UnitOutput, month_segments};

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

pub fn write_sensors(ctx: &Ctx<'_>, store_id: i64, shelves: u32, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let model = ctx.model;
    let offset = model.store(store_id).offset_min();
    let shelf_list: Vec<Shelf> = (0..shelves).map(|n| shelf(model, store_id, n)).collect();
    let shelf_ids: Vec<String> = (1..=shelves).map(|n| format!("SH-{n:02}")).collect();
    for (a, b) in month_segments(from, to) {
        let month = month_string(a);
        let rel =
            render_path(&Table::Sensors.raw().path, &PathVars { store_id: Some(store_id), month: Some(&month), ..Default::default() })?;
        let mut sink = TextSink::csv(&ctx.cfg.out, rel, Table::Sensors)?;
        let p = picker(model, Table::Sensors, (store_id as u64) << 20 ^ a as u64);
        let mut row = 0u64;
        for day in a..b {
            let mut r = rng::rng(model.seed, Stream::Sensor, store_id as u64, day as u64);
            for hour in 0..24i64 {
                // A gentle daily cycle: warmest mid-afternoon local time.
                let cycle = ((hour - 9) as f64 / 24.0 * std::f64::consts::TAU).sin();
                for (n, s) in shelf_list.iter().enumerate() {
                    let (t_mean, t_sd, h_mean, h_sd) = s.climate;
                    let t = Normal::new(t_mean + cycle * t_sd, t_sd).expect("sd > 0").sample(&mut r).clamp(-35.0, 50.0);
                    let hum = Normal::new(h_mean, h_sd).expect("sd > 0").sample(&mut r).clamp(5.0, 99.0);
                    let mut temp_c = (t * 100.0).round() as i64;
                    let mut humidity = (hum * 100.0).round() as i64;
                    let battery = 3300 - (day as i64 + s.battery_phase) % 400 + r.random_range(-5..=5);
                    let ts = (day as i64 * 86_400 + hour * 3600 + s.minute * 60 - offset as i64 * 60) * MICROS_PER_SECOND;
                    let kind = p.0.pick(row).map(|k| p.1[k]);
                    if kind == Some(AnomalyKind::OutOfRangeReading) {
                        if row.is_multiple_of(2) {
                            temp_c = [15_000, -9_999, 12_750][(row / 2 % 3) as usize];
                        } else {
                            humidity = [12_550, -500][(row / 2 % 2) as usize];
                        }
                    }
                    let line = sink.next_line_no();
                    let bline = &mut sink.line;
                    if kind != Some(AnomalyKind::MissingSensorTs) {
                        push_ts(bline, ts, offset);
                    }
                    bline.push(b',');
                    push_int(bline, store_id);
                    bline.push(b',');
                    bline.extend_from_slice(shelf_ids[n].as_bytes());
                    bline.push(b',');
                    push_decimal(bline, temp_c, 2);
                    bline.push(b',');
                    push_decimal(bline, humidity, 2);
                    bline.push(b',');
                    push_int(bline, battery);
                    if let Some(k) = kind {
                        out.truth.push(Table::Sensors, k.code(), format!("{store_id}|{}|{}", shelf_ids[n], ts), &sink.rel, line);
                    }
                    sink.end_line()?;
                    row += 1;
                }
            }
        }
        out.close(ctx, Table::Sensors, sink)?;
    }
    Ok(())
}
