//! The committed `data_raw/samples/` is exactly what the generator makes for its documented
//! arguments: a byte-level snapshot of every format's first rows at a fixed seed. After an
//! intended change to the output, rewrite it with `cargo xtask sample` and review the diff.

mod common;

use std::path::Path;

use common::files;
use medallion_gen::GenConfig;

#[test]
fn committed_sample_matches_the_generator() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data_raw/samples");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenConfig::new(dir.path());
    cfg.seed = 42;
    cfg.scale = 0.005;
    cfg.start = medallion_gen::text::parse_date("2025-12-25").unwrap();
    cfg.days = 7;
    common::generate(&cfg);
    // The Delta log records commit times, so the returns table is compared elsewhere by rows.
    let plain = |root: &Path| files(root).into_iter().filter(|p| !p.starts_with("returns")).collect::<Vec<_>>();
    let expected = plain(dir.path());
    assert_eq!(plain(&committed), expected, "the sample's file list differs: run `cargo xtask sample`");
    for f in expected {
        assert!(
            std::fs::read(committed.join(&f)).unwrap() == std::fs::read(dir.path().join(&f)).unwrap(),
            "{} differs: run `cargo xtask sample`",
            f.display()
        );
    }
}
