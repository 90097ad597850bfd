//! Parsers of small pieces of user input (flag values). Pure functions, fuzzed.

use std::time::Duration;

use crate::error::{Error, Result};

/// A duration such as `30d`, `12h`, `2w`, `1d12h`, `90m`, `45s`, `500ms` or a bare number of
/// seconds.
pub fn duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::usage(format!("{text:?} is not a duration")).hint("use a number and a unit: 30d, 12h, 2w, 90m, 1d12h")
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    // Milliseconds (`500ms`), alone: for short waits such as connect's --stall-after.
    if let Some(ms) = s.strip_suffix("ms").and_then(|n| n.trim().parse::<u64>().ok()) {
        return Ok(Duration::from_millis(ms));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    // Cap at 100 years: anything longer is a typo.
    if total > 100 * 365 * 86_400 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(duration("1d12h").unwrap(), Duration::from_secs(36 * 3_600));
        assert_eq!(duration("2w").unwrap(), Duration::from_secs(14 * 86_400));
        assert_eq!(duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(duration(" 5 m ").unwrap(), Duration::from_secs(300));
        assert_eq!(duration("1500ms").unwrap(), Duration::from_millis(1_500));
        for bad in ["", "d", "30x", "30d5", "-1d", "99999999999999999999d", "1.5d", "ms", "1.5ms"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
