//! Identifier newtypes. A `ClientId` can only exist if it passed the id rule of domain.md §1.
use super::FieldError;
use serde::Serialize;
use std::fmt;

/// Tenant key: 3–20 of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (3..=20).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned())).ok_or_else(|| {
            FieldError::new("client_id", "must be 3-20 characters of A-Z a-z 0-9 _ -")
        })
    }
    /// For ids read back from our own database (already validated on the way in).
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Words that would collide with static route segments (`/api/{res}/batch` ...).
pub const RESERVED_IDS: [&str; 6] = [
    "batch",
    "csv-upload",
    "csv-template",
    "export.csv",
    "verify",
    "preview",
];

/// User-assigned record ids: 1..=max of `[A-Za-z0-9_.-]`, never a reserved path word.
pub fn check_record_id(field: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    let ok = (1..=max).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !RESERVED_IDS.contains(&raw);
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be 1-{max} characters of A-Z a-z 0-9 _ . - and not a reserved word"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn client_id_rule() {
        assert!(ClientId::parse("BOOT-LINE-A").is_ok());
        assert!(ClientId::parse("AB").is_err());
        assert!(ClientId::parse("A".repeat(21).as_str()).is_err());
        assert!(ClientId::parse("BAD ID").is_err());
        assert!(ClientId::parse("ÄÄÄ").is_err());
    }

    #[test]
    fn record_id_refuses_reserved_words() {
        assert!(check_record_id("work_order_id", "batch", 50).is_err());
        assert!(check_record_id("work_order_id", "2025-12-15-ROPER-1001", 50).is_ok());
        assert!(check_record_id("work_order_id", "", 50).is_err());
        assert!(check_record_id("work_order_id", "a/b", 50).is_err());
    }

    proptest! {
        #[test]
        fn client_id_parse_never_panics_and_accepts_only_the_alphabet(s in "\\PC*") {
            if let Ok(id) = ClientId::parse(&s) {
                prop_assert!(id.as_str().len() >= 3 && id.as_str().len() <= 20);
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
            }
        }
    }
}
