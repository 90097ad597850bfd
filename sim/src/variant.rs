//! The documented variants of the real Twingate Linux client, each one switch of
//! `TWINGATE_SIM_VARIANT` (comma-separated `name=value`), so that a variant found later is one
//! switch and one test. Sources: /work/shared/reference/headless-and-ci-wrappers.md §1.2-§1.5
//! and its "Addendum: real-client behaviours the first simulators missed"; tgctl issue 14.
//!
//! - `status=dashed|joined|prose`: `twingate status` prints `not-running` (dashed, default),
//!   `notrunning` (joined, other versions), or the word inside a prose line (`prose`: "some
//!   versions surround the word with a prose line", Addendum).
//! - `waiting=authenticating|offline`: the word while the daemon runs but is not yet online
//!   (both seen across versions, Addendum; `authenticating`: §1.3).
//! - `resources=sections|plain`: `twingate resources` prints its tab-separated header
//!   `RESOURCE NAME  ADDRESS  ALIAS  AUTH STATUS` under section headings (`MAIN RESOURCES`,
//!   §1.2), or without them ("appear in some versions only", Addendum).
//! - `start=ok|tun-fails|nonzero`: `twingate start` exits 0 and the daemon comes up (ok); exits
//!   0 although the daemon then fails to create its TUN device and exits (tun-fails: §1.4, PR
//!   #84); exits non-zero while the daemon still comes up (nonzero: Addendum, "non-zero in cases
//!   where the daemon still comes up").
//! - `log=file|journal`: the daemon logs to the log file (`/var/log/twingated.log` without
//!   systemd, §1.5), or to the journal (`journalctl -u twingate` with systemd, §1.5), which
//!   the `journalctl` stand-in (this binary run as `journalctl`) reads.
//! - `runtime-dir=required`: the userspace daemon needs a writable `$XDG_RUNTIME_DIR`, as a
//!   daemon run without root does (Addendum); on by itself when the sim is not root.

/// One run's variants.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variant {
    pub(crate) status: StatusStyle,
    pub(crate) offline_while_waiting: bool,
    pub(crate) plain_resources: bool,
    pub(crate) start: Start,
    pub(crate) journal: bool,
    pub(crate) runtime_dir_required: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum StatusStyle {
    #[default]
    Dashed,
    Joined,
    Prose,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Start {
    #[default]
    Ok,
    TunFails,
    Nonzero,
}

impl Variant {
    pub(crate) fn parse(text: &str) -> Result<Variant, String> {
        let mut v = Variant::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            match (name, value) {
                ("status", "dashed") => v.status = StatusStyle::Dashed,
                ("status", "joined") => v.status = StatusStyle::Joined,
                ("status", "prose") => v.status = StatusStyle::Prose,
                ("waiting", "authenticating") => v.offline_while_waiting = false,
                ("waiting", "offline") => v.offline_while_waiting = true,
                ("resources", "sections") => v.plain_resources = false,
                ("resources", "plain") => v.plain_resources = true,
                ("start", "ok") => v.start = Start::Ok,
                ("start", "tun-fails") => v.start = Start::TunFails,
                ("start", "nonzero") => v.start = Start::Nonzero,
                ("log", "file") => v.journal = false,
                ("log", "journal") => v.journal = true,
                ("runtime-dir", "required") => v.runtime_dir_required = true,
                _ => return Err(format!("unknown variant {part:?}")),
            }
        }
        Ok(v)
    }

    /// What `twingate status` prints for the daemon's state word (`online`, `not-running`,
    /// `authenticating`, or a scenario's own word).
    pub(crate) fn status_text(&self, word: &str) -> String {
        let word = match word {
            "not-running" if self.status == StatusStyle::Joined => "notrunning",
            "authenticating" if self.offline_while_waiting => "offline",
            w => w,
        };
        match self.status {
            StatusStyle::Prose => format!("Twingate Client status: {word}.\n"),
            _ => format!("{word}\n"),
        }
    }

    /// What `twingate resources` prints for `(name, address, alias, auth)` rows.
    pub(crate) fn resources_text(&self, rows: &str) -> String {
        let header = "RESOURCE NAME\tADDRESS\tALIAS\tAUTH STATUS\n";
        if self.plain_resources { format!("{header}{rows}") } else { format!("MAIN RESOURCES\n{header}{rows}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_and_shape_the_output() {
        let v = Variant::parse("status=joined,waiting=offline,resources=plain,start=nonzero,log=journal").unwrap();
        assert_eq!(v.status_text("not-running"), "notrunning\n");
        assert_eq!(v.status_text("authenticating"), "offline\n");
        assert_eq!(v.status_text("online"), "online\n");
        assert!(v.resources_text("a\tb\t\t-\n").starts_with("RESOURCE NAME\t"));
        assert_eq!((v.start, v.journal), (Start::Nonzero, true));
        let p = Variant::parse("status=prose").unwrap();
        assert_eq!(p.status_text("online"), "Twingate Client status: online.\n");
        assert!(Variant::default().resources_text("").starts_with("MAIN RESOURCES\nRESOURCE NAME"));
        assert!(Variant::parse("status=shouting").is_err());
    }
}
