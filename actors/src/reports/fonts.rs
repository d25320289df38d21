//! The fonts embedded in the binary (DejaVu Sans, free licence in assets/fonts/): reports never
//! look fonts up on the host, so a PDF renders the same everywhere.
use krilla::text::Font;
use std::sync::LazyLock;

static REGULAR_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Parsed once; `Font` is a cheap handle (clones share the data).
pub static REGULAR: LazyLock<Font> =
    LazyLock::new(|| Font::new(REGULAR_BYTES.into(), 0).expect("bundled font parses"));
pub static BOLD: LazyLock<Font> =
    LazyLock::new(|| Font::new(BOLD_BYTES.into(), 0).expect("bundled font parses"));
