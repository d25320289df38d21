//! Release builds embed web/dist (rust-embed): rebuild when the built UI changes, including new
//! chunk files, which `include_bytes!` alone would not notice. Debug builds read web/dist from
//! disk at run time, so front-end edits never rebuild Rust there.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=web/dist");
    }
}
