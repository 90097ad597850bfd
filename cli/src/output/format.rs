//! Formatting of values inside tables: times, optional values, lists.

use jiff::Timestamp;

/// Cell formatting for one output: TTY (relative times, short) or not (RFC 3339, full).
#[derive(Debug, Clone)]
pub(crate) struct Fmt {
    tty: bool,
    now: Timestamp,
}

impl Fmt {
    pub(crate) fn new(tty: bool) -> Self {
        Self { tty, now: Timestamp::now() }
    }

    pub(crate) fn is_tty(&self) -> bool {
        self.tty
    }

    pub(crate) fn time(&self, t: &Timestamp) -> String {
        if self.tty { relative_time(*t, self.now) } else { t.to_string() }
    }

    /// A time or a word for its absence.
    pub(crate) fn opt_time(&self, t: Option<&Timestamp>, none: &str) -> String {
        t.map_or_else(|| none.to_owned(), |t| self.time(t))
    }

    /// A boolean: yes/no on a terminal, true/false for scripts.
    pub(crate) fn yes_no(&self, b: bool) -> String {
        match (self.tty, b) {
            (true, true) => "yes".to_owned(),
            (true, false) => "no".to_owned(),
            (false, b) => b.to_string(),
        }
    }

    /// A list of values, or a word for none.
    pub(crate) fn list(&self, items: &[String], none: &str) -> String {
        if items.is_empty() { none.to_owned() } else { items.join(", ") }
    }

    pub(crate) fn opt(&self, v: Option<&str>) -> String {
        v.map_or_else(|| if self.tty { "-".to_owned() } else { String::new() }, str::to_owned)
    }
}

/// "3 days ago", "in 29 days", "just now".
pub(crate) fn relative_time(t: Timestamp, now: Timestamp) -> String {
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

/// Control characters made visible, for human output (issue 15, item 10): a name from the API
/// holding ESC or BEL must not drive the terminal. `\n` and `\t` are kept when `keep_layout`
/// (a multi-line message), escaped otherwise (a table cell). JSON output never goes through here:
/// serde escapes control characters and keeps the value exact.
pub(crate) fn escape_controls(text: &str, keep_layout: bool) -> std::borrow::Cow<'_, str> {
    let is_bad = |c: char| c.is_control() && !(keep_layout && matches!(c, '\n' | '\t'));
    if !text.chars().any(is_bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_bad(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod escape_tests {
    use super::escape_controls;

    #[test]
    fn controls_become_visible_and_plain_text_is_untouched() {
        assert_eq!(escape_controls("web\u{1b}]0;pwned\u{7}", false), "web\\e]0;pwned\\x07");
        assert_eq!(escape_controls("a\tb\nc\u{9b}", false), "a\\tb\\nc\\x9b");
        assert_eq!(escape_controls("line one\nline\ttwo\u{7}", true), "line one\nline\ttwo\\x07");
        assert!(matches!(escape_controls("plain ünïcode", false), std::borrow::Cow::Borrowed(_)));
    }
}
