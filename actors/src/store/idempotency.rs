//! IDEMPOTENCY_KEYS (ingest.md §8, style §2.12): (user, key) → the request's SHA-256 and the
//! first response. `find` and `save` run in the same writer transaction as the rows they
//! guard, so a replay can never write twice. Rows older than 24 h are ignored and purged.
use super::StoreError;
use crate::domain::time::now_ts;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// Keys are kept this long.
const KEEP: &str = "-24 hours";

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 over length-prefixed parts (method, path, query, payload digest …), so no two
/// different part lists hash alike.
pub fn request_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// 1–200 printable ASCII characters.
pub fn valid_key(key: &str) -> bool {
    (1..=200).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// The stored response of (user, key) if it is younger than 24 h.
pub fn find(
    conn: &Connection,
    user: &str,
    key: &str,
) -> Result<Option<StoredResponse>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys \
             WHERE user_id = ?1 AND key = ?2 AND status_code IS NOT NULL \
               AND created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?3)",
        )?
        .query_row(params![user, key, KEEP], |r| {
            Ok(StoredResponse {
                request_hash: r.get(0)?,
                status: r.get::<_, i64>(1)? as u16,
                body: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            })
        })
        .optional()?)
}

/// Stores the response (replacing an expired row of the same key) and purges old keys.
pub fn save(
    tx: &Connection,
    user: &str,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "DELETE FROM idempotency_keys WHERE created_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
    )?
    .execute([KEEP])?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO idempotency_keys (user_id, key, request_hash, status_code, response_body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user, key, request_hash, status as i64, body, now_ts()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_hashes_separate_parts() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::engine::open_and_migrate(&dir.path().join("i.db")).unwrap();
        conn.execute(
            "INSERT INTO users (user_id, username, role, password_hash) VALUES ('USR-001', 'admin', 'ADMIN', 'x')",
            [],
        )
        .unwrap();
        assert_eq!(find(&conn, "USR-001", "k1").unwrap(), None);
        save(&conn, "USR-001", "k1", "h", 201, "{}").unwrap();
        let got = find(&conn, "USR-001", "k1").unwrap().unwrap();
        assert_eq!((got.status, got.body.as_str()), (201, "{}"));
        assert_ne!(request_hash(&[b"ab", b"c"]), request_hash(&[b"a", b"bc"]));
        assert!(
            valid_key("abc-123")
                && !valid_key("")
                && !valid_key("é")
                && !valid_key(&"x".repeat(201))
        );
    }
}
