//! argon2id with the spec's parameters (m = 19 456 KiB, t = 2, p = 1). Always called on a
//! blocking thread: one hash takes tens of milliseconds of CPU.
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).expect("valid argon2 params"),
    )
}

pub fn hash(password: &str) -> String {
    hasher()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing with a fresh salt")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordVerifier::<str>::verify_password(&hasher(), password.as_bytes(), phc).is_ok()
}

/// A valid hash of a random password: verifying against it costs the same as a real check, so
/// an unknown username takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy-password-never-used"))
}

pub async fn hash_async(password: String) -> String {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .expect("hash task")
}

/// Spends the time of one verification against the decoy (unknown user); the decoy itself is
/// computed on the blocking thread too, never on an async worker.
pub async fn verify_decoy_async(password: String) {
    let _ = tokio::task::spawn_blocking(move || verify(&password, decoy_hash())).await;
}

pub async fn verify_async(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = super::hash("correct horse battery");
        let b = super::hash("correct horse battery");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(super::verify("correct horse battery", &a));
        assert!(!super::verify("wrong", &a));
        assert!(!super::verify("x", "not a hash"));
    }
}
