//! Retry delays of operations.md §6: 1, 2, 4 … minutes, at most 60, for a base of one minute.
use std::time::Duration;

/// Delay before the next attempt after `failed` failed attempts (1-based).
pub fn delay(base: Duration, failed: u32) -> Duration {
    let factor = 1u32 << failed.saturating_sub(1).min(6); // 64 > 60: the cap applies from there
    (base * factor).min(base * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_base_up_to_sixty_times_it() {
        let m = Duration::from_secs(60);
        let minutes: Vec<u64> = (1..=9).map(|n| delay(m, n).as_secs() / 60).collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(
            delay(Duration::from_millis(100), 2),
            Duration::from_millis(200)
        );
    }
}
