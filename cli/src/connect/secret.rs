//! Masking of a service key's secrets in anything we show (client output, log lines).

use base64::Engine;

use crate::api::service_keys::KeyDocument;

/// Replaces every known secret string with `***`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// The secrets of a key: the text as given, its private key (whole and line by line) and
    /// the base64 of the JSON.
    pub(crate) fn for_key(input: &str, doc: Option<&KeyDocument>) -> Self {
        let mut secrets = vec![input.trim().to_owned()];
        secrets.push(base64::engine::general_purpose::STANDARD.encode(input.trim()));
        if let Some(doc) = doc {
            secrets.push(doc.private_key.trim().to_owned());
            secrets.extend(
                doc.private_key
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
                    .map(str::to_owned),
            );
        }
        secrets.retain(|s| s.len() >= 8);
        // Longest first, so a whole secret is masked before its parts.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Every secret, for `::add-mask::` under GitHub Actions.
    pub(crate) fn secrets(&self) -> &[String] {
        &self.secrets
    }

    pub(crate) fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_whole_keys_and_pem_lines() {
        let json = serde_json::json!({
            "network": "acme.twingate.com", "service_account_id": "sa", "key_id": "k",
            "private_key": "-----BEGIN PRIVATE KEY-----\nSECRETLINEONE123\nSECRETLINETWO456\n-----END PRIVATE KEY-----\n"
        })
        .to_string();
        let doc = KeyDocument::parse(&json).unwrap();
        let m = Masker::for_key(&json, Some(&doc));
        assert_eq!(m.mask("log: SECRETLINETWO456 end"), "log: *** end");
        assert_eq!(m.mask(&format!("got {json}")), "got ***");
        assert_eq!(m.mask("-----BEGIN PRIVATE KEY-----"), "-----BEGIN PRIVATE KEY-----");
    }
}
