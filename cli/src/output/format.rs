//! Formatting of values inside tables: times, optional values, lists.

use jiff::Timestamp;

/// Cell formatting for one output: TTY (relative times, short) or not (RFC 3339, full).
#[derive(Debug, Clone)]
pub struct Fmt {
    tty: bool,
    now: Timestamp,
}

impl Fmt {
    pub fn new(tty: bool) -> Self {
        Self { tty, now: Timestamp::now() }
    }

    pub fn is_tty(&self) -> bool {
        self.tty
    }

    pub fn time(&self, t: &Timestamp) -> String {
        if self.tty { relative_time(*t, self.now) } else { t.to_string() }
    }

    /// A time or a word for its absence.
    pub fn opt_time(&self, t: Option<&Timestamp>, none: &str) -> String {
        t.map_or_else(|| none.to_owned(), |t| self.time(t))
    }

    /// A boolean: yes/no on a terminal, true/false for scripts.
    pub fn yes_no(&self, b: bool) -> String {
        match (self.tty, b) {
            (true, true) => "yes".to_owned(),
            (true, false) => "no".to_owned(),
            (false, b) => b.to_string(),
        }
    }

    /// A list of values, or a word for none.
    pub fn list(&self, items: &[String], none: &str) -> String {
        if items.is_empty() { none.to_owned() } else { items.join(", ") }
    }

    pub fn opt(&self, v: Option<&str>) -> String {
        v.map_or_else(|| if self.tty { "-".to_owned() } else { String::new() }, str::to_owned)
    }
}

/// "3 days ago", "in 29 days", "just now".
pub fn relative_time(t: Timestamp, now: Timestamp) -> String {
    let secs = t.as_second() - now.as_second();
    let (future, abs) = (secs > 0, secs.unsigned_abs());
    let text = match abs {
        0..=44 => return "just now".to_owned(),
        45..=5_399 => plural((abs + 30) / 60, "minute"),
        5_400..=129_599 => plural((abs + 1_800) / 3_600, "hour"),
        129_600..=3_887_999 => plural((abs + 43_200) / 86_400, "day"),
        3_888_000..=28_511_999 => plural((abs + 1_296_000) / 2_592_000, "month"),
        _ => plural((abs + 15_768_000) / 31_536_000, "year"),
    };
    if future { format!("in {text}") } else { format!("{text} ago") }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let at = |s: &str| -> Timestamp { s.parse().unwrap() };
        assert_eq!(relative_time(at("2026-01-01T00:00:10Z"), now), "just now");
        assert_eq!(relative_time(at("2025-12-31T23:55:00Z"), now), "5 minutes ago");
        assert_eq!(relative_time(at("2026-01-31T00:00:00Z"), now), "in 30 days");
        assert_eq!(relative_time(at("2025-12-31T21:00:00Z"), now), "3 hours ago");
        assert_eq!(relative_time(at("2027-01-01T00:00:00Z"), now), "in 1 year");
    }

    #[test]
    fn off_a_tty_times_are_rfc3339() {
        let f = Fmt::new(false);
        let t: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(f.time(&t), "2026-01-01T00:00:00Z");
        assert_eq!(f.opt(None), "");
    }
}
