// Lets the `medallion` binary find the prebuilt libduckdb at run time without LD_LIBRARY_PATH.
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if let Ok(dir) = std::env::var("DUCKDB_LIB_DIR")
        && !cfg!(windows)
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{dir}");
    }
}
