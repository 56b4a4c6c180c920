// Lets the `medallion` binary find the prebuilt libduckdb at run time without LD_LIBRARY_PATH:
// first beside itself in a bundle (`../lib`, then its own folder: `cargo xtask dist`), so a
// copied or installed binary keeps working after `cargo clean`; then the library xtask fetched
// (for `cargo run` and the binaries under target/).
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let origin = match os.as_str() {
        "windows" => return, // Windows looks beside the executable by itself.
        "macos" | "ios" => "@executable_path",
        _ => "$ORIGIN",
    };
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{origin}/../lib");
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{origin}");
    if let Ok(dir) = std::env::var("DUCKDB_LIB_DIR") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{dir}");
    }
}
