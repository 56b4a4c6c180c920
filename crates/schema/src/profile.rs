//! The anomaly profile: how often the generator injects each anomaly kind, and the popularity
//! laws of customers and products — what `medallion gen --profile` reads. The shipped default
//! is the SPEC's rates ([`ANOMALIES`]); `clean` injects nothing; `hostile` raises every rate
//! tenfold. A profile file may name only what it changes: the rest keeps the default.
//!
//! The generator writes the profile it used beside the data (`_profile.yml`, every value
//! spelled out), so passing that file back reproduces the dataset.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Table;
use crate::anomaly::{ANOMALIES, AnomalySpec};

/// The file beside a generated dataset holding the profile it was made with.
pub const PROFILE_FILE: &str = "_profile.yml";

/// The profiles built into the binary, by name.
pub const BUILT_IN: [&str; 3] = ["default", "clean", "hostile"];

/// A popularity law: member of rank r is drawn with weight (r + head)^-exponent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopularityLaw {
    /// The tail's exponent (> 0).
    pub exponent: f64,
    /// How many top ranks are flattened: for customers a share of the customers (scale-free),
    /// for products a number of ranks (a head of bestsellers whatever the catalogue size).
    pub head: f64,
}

/// What the generator injects and how it spreads orders.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The rate of each kind, in [`ANOMALIES`] order: a fraction of its table's rows, 0 to 1.
    pub rates: [f64; ANOMALIES.len()],
    /// Orders over customers (`head` a share of the customers).
    pub customers: PopularityLaw,
    /// Order lines over products (`head` in ranks).
    pub products: PopularityLaw,
}

/// Why a profile file was refused: the file, the key and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{}: {key}: {reason}", file.display())]
pub struct ProfileError {
    /// The profile file.
    pub file: PathBuf,
    /// The dotted key at fault (`anomalies.customers.null_phone`), or `-` for the whole file.
    pub key: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

impl Default for Profile {
    /// The SPEC's rates and the calibrated popularity laws (docs/decisions.md).
    fn default() -> Self {
        Profile {
            rates: ANOMALIES.map(|a| a.rate),
            customers: PopularityLaw { exponent: 2.0, head: 0.1 },
            products: PopularityLaw { exponent: 1.1, head: 25.0 },
        }
    }
}

impl Profile {
    /// No anomaly at all.
    pub fn clean() -> Self {
        Profile { rates: [0.0; ANOMALIES.len()], ..Profile::default() }
    }

    /// Every rate ten times the default (at most 1).
    pub fn hostile() -> Self {
        Profile { rates: ANOMALIES.map(|a| (a.rate * 10.0).min(1.0)), ..Profile::default() }
    }

    /// A built-in profile by name, or the profile file at `name_or_path`.
    pub fn resolve(name_or_path: &str) -> Result<Self, ProfileError> {
        match name_or_path {
            "default" => Ok(Profile::default()),
            "clean" => Ok(Profile::clean()),
            "hostile" => Ok(Profile::hostile()),
            path => Profile::load(Path::new(path)),
        }
    }

    /// The rate of `spec`'s kind.
    pub fn rate(&self, spec: &AnomalySpec) -> f64 {
        self.rates[spec.kind.index()]
    }

    /// Reads a profile file: the default, overridden by what the file names.
    pub fn load(file: &Path) -> Result<Self, ProfileError> {
        let refuse = |key: &str, reason: String| ProfileError { file: file.to_path_buf(), key: key.to_string(), reason };
        let text = std::fs::read_to_string(file).map_err(|e| refuse("-", format!("cannot read the profile: {e}")))?;
        Profile::parse(&text).map_err(|(key, reason)| refuse(&key, reason))
    }

    /// Parses a profile's YAML text; on error the dotted key and the reason.
    pub fn parse(text: &str) -> Result<Self, (String, String)> {
        use serde_yaml_ng::Value;
        let root: Value = serde_yaml_ng::from_str(text).map_err(|e| ("-".to_string(), format!("not YAML: {e}")))?;
        let mut profile = Profile::default();
        let Some(root) = root.as_mapping() else {
            return if root.is_null() {
                Ok(profile)
            } else {
                Err(("-".into(), "expected a mapping with `anomalies` and `popularity`".into()))
            };
        };
        let name = |k: &Value| k.as_str().map_or_else(|| format!("{k:?}"), str::to_string);
        for (key, value) in root {
            match name(key).as_str() {
                "anomalies" => profile.read_anomalies(value)?,
                "popularity" => profile.read_popularity(value)?,
                other => return Err((other.to_string(), "unknown key (a profile has `anomalies` and `popularity`)".into())),
            }
        }
        Ok(profile)
    }

    fn read_anomalies(&mut self, value: &serde_yaml_ng::Value) -> Result<(), (String, String)> {
        let tables = mapping(value, "anomalies", "a mapping of table to {kind: rate}")?;
        for (table_key, kinds) in tables {
            let table_name = key_name(table_key);
            let key = format!("anomalies.{table_name}");
            let table = Table::ALL
                .into_iter()
                .find(|t| t.name() == table_name && ANOMALIES.iter().any(|a| a.table == *t))
                .ok_or_else(|| (key.clone(), format!("no such table with anomalies (tables: {})", tables_with_anomalies().join(", "))))?;
            for (kind_key, rate) in mapping(kinds, &key, "a mapping of anomaly kind to rate")? {
                let kind_name = key_name(kind_key);
                let key = format!("{key}.{kind_name}");
                let i = ANOMALIES.iter().position(|a| a.table == table && a.code == kind_name).ok_or_else(|| {
                    let kinds: Vec<&str> = ANOMALIES.iter().filter(|a| a.table == table).map(|a| a.code).collect();
                    (key.clone(), format!("no such anomaly kind of {table_name} (kinds: {})", kinds.join(", ")))
                })?;
                let rate = number(rate, &key, "a rate: a fraction of the rows from 0 to 1 (0.02 = 2 %)")?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err((key, format!("{rate} is outside 0–1 (a rate is a fraction of the rows: 0.02 = 2 %)")));
                }
                self.rates[i] = rate;
            }
            // One uniform draw per row picks its kind: a table's rates partition it.
            let sum: f64 = ANOMALIES.iter().zip(&self.rates).filter(|(a, _)| a.table == table).map(|(_, r)| r).sum();
            if sum > 1.0 + 1e-9 {
                return Err((
                    key,
                    format!("the rates sum to {sum} — a row carries one anomaly at most, so a table's rates sum to 1 at most"),
                ));
            }
        }
        Ok(())
    }

    fn read_popularity(&mut self, value: &serde_yaml_ng::Value) -> Result<(), (String, String)> {
        for (member_key, law) in mapping(value, "popularity", "`customers` and `products`, each {exponent, head}")? {
            let member = key_name(member_key);
            let key = format!("popularity.{member}");
            let target = match member.as_str() {
                "customers" => &mut self.customers,
                "products" => &mut self.products,
                _ => return Err((key, "unknown key (popularity has `customers` and `products`)".into())),
            };
            for (field_key, v) in mapping(law, &key, "{exponent, head}")? {
                let field = key_name(field_key);
                let key = format!("{key}.{field}");
                let v = number(v, &key, "a number")?;
                match field.as_str() {
                    "exponent" if v > 0.0 && v <= 10.0 => target.exponent = v,
                    "exponent" => return Err((key, format!("{v} is outside (0, 10]"))),
                    "head" if (0.0..=1e9).contains(&v) => target.head = v,
                    "head" => return Err((key, format!("{v} is negative or too large"))),
                    _ => return Err((key, "unknown key (a law has `exponent` and `head`)".into())),
                }
            }
        }
        Ok(())
    }

    /// The profile as a complete file (every kind spelled out), as `_profile.yml` holds it.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from(
            "# medallion anomaly profile (`medallion gen --profile FILE`). Rates are fractions of the\n\
             # table's rows, 0 to 1 (0.02 = 2 %); a table's rates sum to 1 at most. Keys left out keep\n\
             # the default (the SPEC's rates). Popularity: member of rank r is drawn with weight\n\
             # (r + head)^-exponent; customers' head is a share of the customers, products' a number\n\
             # of ranks.\n\
             anomalies:\n",
        );
        for table in tables_with_anomalies() {
            let _ = writeln!(out, "  {table}:");
            for (a, rate) in ANOMALIES.iter().zip(&self.rates).filter(|(a, _)| a.table.name() == table) {
                let _ = writeln!(out, "    {}: {}  # {}", a.code, fmt_number(*rate), a.description);
            }
        }
        out.push_str("popularity:\n");
        for (name, law) in [("customers", self.customers), ("products", self.products)] {
            let _ = writeln!(out, "  {name}: {{exponent: {}, head: {}}}", fmt_number(law.exponent), fmt_number(law.head));
        }
        out
    }

    /// A short identity of the profile, for the dataset marker: its name when built in,
    /// else a hash of its complete text.
    pub fn fingerprint(&self) -> String {
        for name in BUILT_IN {
            if Profile::resolve(name).ok().as_ref() == Some(self) {
                return name.to_string();
            }
        }
        // FNV-1a: stable across builds and platforms (std's hasher is not).
        let hash = self.to_yaml().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3));
        format!("custom-{hash:016x}")
    }
}

/// Shortest text that reads back as the same f64.
fn fmt_number(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') { s } else { format!("{s}.0") }
}

fn tables_with_anomalies() -> Vec<&'static str> {
    let mut names: Vec<&str> = Vec::new();
    for a in ANOMALIES.iter() {
        if !names.contains(&a.table.name()) {
            names.push(a.table.name());
        }
    }
    names
}

fn key_name(key: &serde_yaml_ng::Value) -> String {
    key.as_str().map_or_else(|| serde_yaml_ng::to_string(key).unwrap_or_default().trim().to_string(), str::to_string)
}

fn mapping<'v>(value: &'v serde_yaml_ng::Value, key: &str, expected: &str) -> Result<&'v serde_yaml_ng::Mapping, (String, String)> {
    value.as_mapping().ok_or_else(|| (key.to_string(), format!("expected {expected}")))
}

fn number(value: &serde_yaml_ng::Value, key: &str, expected: &str) -> Result<f64, (String, String)> {
    value.as_f64().ok_or_else(|| {
        let found = serde_yaml_ng::to_string(value).unwrap_or_default();
        (key.to_string(), format!("`{}` is not a number: expected {expected}", found.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_complete_file_reads_back_as_the_same_profile() {
        for name in BUILT_IN {
            let p = Profile::resolve(name).unwrap();
            assert_eq!(Profile::parse(&p.to_yaml()).unwrap(), p, "{name}");
            assert_eq!(p.fingerprint(), name);
        }
        assert_eq!(Profile::parse("").unwrap(), Profile::default());
        // 100 % is legal when the table's other kinds make room.
        let custom =
            Profile::parse("anomalies: {customers: {malformed_email: 0, duplicate_natural_key: 0, null_address: 0, null_phone: 1}}")
                .unwrap();
        assert_eq!(custom.rates[2], 1.0);
        assert!(custom.fingerprint().starts_with("custom-"));
        assert_eq!(Profile::parse(&custom.to_yaml()).unwrap(), custom);
    }

    #[test]
    fn the_shipped_profile_files_are_the_built_in_profiles() {
        // config/profiles/ is what users copy and edit; it must never drift from the catalogue
        // (rewrite: `medallion gen --profile NAME --tables stores --scale 0.001 --days 1`, then
        // copy the dataset's _profile.yml).
        for name in BUILT_IN {
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../config/profiles/{name}.yml"));
            let text = std::fs::read_to_string(&file).unwrap();
            assert_eq!(text, Profile::resolve(name).unwrap().to_yaml(), "{}", file.display());
            assert_eq!(Profile::load(&file).unwrap(), Profile::resolve(name).unwrap());
        }
    }

    #[test]
    fn bad_profiles_name_the_key_and_the_reason() {
        let refused = |text: &str, key: &str, reason: &str| {
            let (k, r) = Profile::parse(text).unwrap_err();
            assert_eq!(k, key, "{text}: {r}");
            assert!(r.contains(reason), "{text}: {r}");
        };
        refused(
            "anomalies: {customers: {nope: 0.1}}",
            "anomalies.customers.nope",
            "no such anomaly kind of customers (kinds: malformed_email",
        );
        refused("anomalies: {customers: {unknown_store: 0.1}}", "anomalies.customers.unknown_store", "no such anomaly kind");
        refused("anomalies: {suppliers: {}}", "anomalies.suppliers", "no such table with anomalies");
        refused("anomalies: {customers: {null_phone: -0.1}}", "anomalies.customers.null_phone", "outside 0–1");
        refused("anomalies: {customers: {null_phone: 1.5}}", "anomalies.customers.null_phone", "outside 0–1");
        refused("anomalies: {customers: {null_phone: lots}}", "anomalies.customers.null_phone", "`lots` is not a number");
        refused("anomalies: {customers: {null_phone: 0.6, null_address: 0.6}}", "anomalies.customers", "sum to 1 at most");
        refused("anomalies: [1, 2]", "anomalies", "expected a mapping");
        refused("colour: blue", "colour", "unknown key");
        refused("popularity: {customers: {exponent: 0}}", "popularity.customers.exponent", "outside (0, 10]");
        refused("popularity: {shops: {}}", "popularity.shops", "unknown key");
        refused("anomalies: {customers: {null_phone: 0.1", "-", "not YAML");
    }
}
