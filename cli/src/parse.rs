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

/// A duration given to `flag` whose unit must be written out: `30d`, `12h`, `2w`. A bare number
/// is refused: for flags that count days (`--expiring-within 30`, `--expires-in 7`) reading it
/// as seconds, as [`duration`] does, silently means something else than the user meant.
pub(crate) fn duration_with_unit(flag: &str, text: &str) -> Result<Duration> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::usage(format!("{flag} {t}: the number has no unit"))
            .hint(format!("did you mean {flag} {t}d ({t} days)? Units: s, m, h, d, w (e.g. 12h, 2w, 1d12h)")));
    }
    duration(text)
}

/// Which ports of one protocol a resource allows: `all`, `none`, or a list of ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ports {
    All,
    None,
    /// Sorted, non-overlapping, non-adjacent inclusive ranges within 1..=65535.
    Ranges(Vec<(u16, u16)>),
}

/// Parses `443`, `443,8000-8100`, `all` or `none`. Ranges are inclusive; duplicates, overlaps
/// and adjacent ranges are merged (`80,80-90,91` is `80-91`).
pub(crate) fn ports(text: &str) -> Result<Ports> {
    let hint = "use all, none, or ports and ranges from 1 to 65535 separated by commas: 443,8000-8100";
    let s = text.trim();
    match s.to_ascii_lowercase().as_str() {
        "all" | "any" | "*" => return Ok(Ports::All),
        "none" => return Ok(Ports::None),
        "" => return Err(Error::usage("the port list is empty").hint(hint)),
        _ => {}
    }
    let port = |p: &str| -> Result<u16> {
        let p = p.trim();
        if p.is_empty() {
            return Err(Error::usage(format!("{text:?} has a range with a missing end")).hint(hint));
        }
        let n: u64 = p.parse().map_err(|_| Error::usage(format!("{p:?} is not a port number")).hint(hint))?;
        if !(1..=65_535).contains(&n) {
            return Err(Error::usage(format!("port {n} is out of range: ports are 1 to 65535")).hint(hint));
        }
        Ok(n as u16)
    };
    let mut ranges = Vec::new();
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(Error::usage(format!("{text:?} has an empty entry between commas")).hint(hint));
        }
        if ["all", "none"].contains(&item.to_ascii_lowercase().as_str()) {
            return Err(Error::usage(format!("{item:?} cannot be combined with ports")).hint(hint));
        }
        let (start, end) = match item.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(item)?;
                (p, p)
            }
        };
        if start > end {
            return Err(Error::usage(format!("the range {start}-{end} is backwards"))
                .hint(format!("write it as {end}-{start}")));
        }
        ranges.push((start, end));
    }
    Ok(Ports::Ranges(merge_ranges(ranges)))
}

/// Sorts and merges overlapping or adjacent inclusive ranges.
pub(crate) fn merge_ranges(mut ranges: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    ranges.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if u32::from(start) <= u32::from(last.1) + 1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

impl Ports {
    /// The compact text form: `all`, `none`, `443,8000-8100`.
    pub(crate) fn to_text(&self) -> String {
        match self {
            Ports::All => "all".to_owned(),
            Ports::None => "none".to_owned(),
            Ports::Ranges(r) if r.is_empty() => "none".to_owned(),
            Ports::Ranges(r) => r
                .iter()
                .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

impl serde::Serialize for Ports {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

/// `key=value` (a tag); the key must not be empty, the value may be.
pub(crate) fn key_value(text: &str) -> Result<(String, String)> {
    let Some((k, v)) = text.split_once('=') else {
        return Err(Error::usage(format!("{text:?} is not KEY=VALUE")).hint("for example --tag env=prod"));
    };
    let k = k.trim();
    if k.is_empty() {
        return Err(Error::usage(format!("{text:?} has an empty key")).hint("for example --tag env=prod"));
    }
    Ok((k.to_owned(), v.trim().to_owned()))
}

/// `a=1,b=2` into pairs (for `--filter`); keys are lower-cased and must not repeat.
pub(crate) fn assignments(text: &str) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (k, v) =
            item.split_once('=').ok_or_else(|| Error::usage(format!("{item:?} in the filter is not KEY=VALUE")))?;
        let k = k.trim().to_ascii_lowercase();
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Error::usage(format!("the filter names {k:?} twice")));
        }
        out.push((k, v.trim().to_owned()));
    }
    if out.is_empty() {
        return Err(Error::usage("the filter is empty"));
    }
    Ok(out)
}

/// An expiry from `--expires-at RFC3339` or `--expires-in DURATION`; it must be in the future.
pub(crate) fn expiry(at: Option<&str>, within: Option<&str>, now: jiff::Timestamp) -> Result<Option<jiff::Timestamp>> {
    let when = match (at, within) {
        (Some(_), Some(_)) => return Err(Error::usage("pass --expires-at or --expires-in, not both")),
        (Some(text), None) => text.trim().parse::<jiff::Timestamp>().map_err(|_| {
            Error::usage(format!("{text:?} is not an RFC 3339 time")).hint("for example 2026-12-31T23:59:59Z")
        })?,
        (None, Some(text)) => {
            let d = duration_with_unit("--expires-in", text)?;
            if d.is_zero() {
                return Err(Error::usage("--expires-in must be longer than zero"));
            }
            let d = jiff::SignedDuration::try_from(d).map_err(|_| Error::usage("--expires-in is too long"))?;
            now.checked_add(d).map_err(|_| Error::usage("--expires-in is too long"))?
        }
        (None, None) => return Ok(None),
    };
    if when <= now {
        return Err(Error::usage(format!("the expiry {when} is in the past")));
    }
    Ok(Some(when))
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

    #[test]
    fn durations_for_day_counting_flags_need_a_unit() {
        assert_eq!(duration_with_unit("--expiring-within", "30d").unwrap(), Duration::from_secs(30 * 86_400));
        let err = duration_with_unit("--expiring-within", " 30 ").unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert_eq!(err.message, "--expiring-within 30: the number has no unit");
        assert!(err.hint.unwrap().starts_with("did you mean --expiring-within 30d (30 days)?"));
        assert!(duration_with_unit("--expires-in", "soon").unwrap_err().message.contains("not a duration"));
    }

    #[test]
    fn ports_parse_merge_and_format() {
        assert_eq!(ports("all").unwrap(), Ports::All);
        assert_eq!(ports(" NONE ").unwrap(), Ports::None);
        assert_eq!(ports("443").unwrap(), Ports::Ranges(vec![(443, 443)]));
        assert_eq!(ports("8000-8100, 443").unwrap(), Ports::Ranges(vec![(443, 443), (8000, 8100)]));
        // Duplicates, overlaps and adjacent ranges merge.
        assert_eq!(ports("80,80,80-90,85-95,96").unwrap(), Ports::Ranges(vec![(80, 96)]));
        assert_eq!(ports("1-65535").unwrap(), Ports::Ranges(vec![(1, 65535)]));
        assert_eq!(ports("22,443,8000-8100").unwrap().to_text(), "22,443,8000-8100");
        assert_eq!(Ports::Ranges(vec![]).to_text(), "none");
        assert_eq!(ports("5-5").unwrap().to_text(), "5");
    }

    #[test]
    fn ports_errors_say_what_is_wrong() {
        let cases = [
            ("0", "out of range"),
            ("65536", "out of range"),
            ("99999999999999999999", "not a port number"),
            ("http", "not a port number"),
            ("443,,80", "empty entry"),
            ("443,", "empty entry"),
            ("8100-8000", "backwards"),
            ("80-", "missing end"),
            ("-80", "missing end"),
            ("80,all", "cannot be combined"),
            ("", "empty"),
            ("1-2-3", "not a port number"),
        ];
        for (input, expected) in cases {
            let err = ports(input).unwrap_err();
            assert!(err.message.contains(expected), "{input:?}: {}", err.message);
            assert_eq!(err.kind, crate::error::Kind::Usage);
        }
    }

    #[test]
    fn key_values_and_filters() {
        assert_eq!(key_value("env=prod").unwrap(), ("env".into(), "prod".into()));
        assert_eq!(key_value("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(key_value("env").is_err());
        assert!(key_value("=x").is_err());
        let f = assignments("serial=ABC, State=active").unwrap();
        assert_eq!(f, vec![("serial".into(), "ABC".into()), ("state".into(), "active".into())]);
        assert!(assignments("a=1,a=2").is_err());
        assert!(assignments("nonsense").is_err());
        assert!(assignments(" , ").is_err());
    }

    #[test]
    fn expiries() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(expiry(None, None, now).unwrap(), None);
        assert_eq!(expiry(None, Some("7d"), now).unwrap().unwrap().to_string(), "2026-01-08T00:00:00Z");
        assert_eq!(
            expiry(Some("2026-12-31T23:59:59+01:00"), None, now).unwrap().unwrap().to_string(),
            "2026-12-31T22:59:59Z"
        );
        assert!(expiry(Some("2025-01-01T00:00:00Z"), None, now).unwrap_err().message.contains("past"));
        assert!(expiry(Some("tomorrow"), None, now).unwrap_err().message.contains("RFC 3339"));
        assert!(expiry(Some("2027-01-01T00:00:00Z"), Some("1d"), now).is_err());
        assert!(expiry(None, Some("0s"), now).is_err());
        assert!(expiry(None, Some("7"), now).unwrap_err().message.contains("no unit"));
    }
}
