// include_dir does not track file changes on stable: rebuild when a migration changes.
fn main() {
    println!("cargo::rerun-if-changed=../migrations");
}
