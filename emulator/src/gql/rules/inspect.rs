//! graphql-core's `inspect()` (graphql/pyutils/inspect.py): how the API quotes a bad variable value
//! back, in Python's notation, two levels deep, with long strings and lists shortened.

use async_graphql::Value;

const MAX_DEPTH: usize = 2;
const MAX_STR: usize = 240;
const MAX_LIST: usize = 10;

pub(super) fn inspect(value: &Value) -> String {
    recurse(value, 0)
}

fn recurse(value: &Value, depth: usize) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Boolean(true) => "True".into(),
        Value::Boolean(false) => "False".into(),
        Value::Number(n) => trunc(n.to_string()),
        Value::String(s) => trunc(py_str(s)),
        Value::Enum(e) => trunc(py_str(e.as_str())),
        Value::Binary(b) => trunc(format!("b'{}'", String::from_utf8_lossy(b))),
        Value::List(items) if items.is_empty() => "[]".into(),
        Value::Object(fields) if fields.is_empty() => "{}".into(),
        Value::List(_) if depth >= MAX_DEPTH => "[...]".into(),
        Value::Object(_) if depth >= MAX_DEPTH => "{...}".into(),
        Value::List(items) => {
            let parts: Vec<String> = shorten(items.iter().map(|v| recurse(v, depth + 1)).collect());
            format!("[{}]", parts.join(", "))
        }
        Value::Object(fields) => {
            let parts: Vec<String> =
                shorten(fields.iter().map(|(k, v)| format!("{}: {}", py_str(k), recurse(v, depth + 1))).collect());
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Python's `repr` of a string: single quotes unless it holds a single quote and no double one.
fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn trunc(s: String) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX_STR {
        return s;
    }
    let i = (MAX_STR - 3) / 2;
    let j = MAX_STR - 3 - i;
    let head: String = chars[..i].iter().collect();
    let tail: String = chars[chars.len() - j..].iter().collect();
    format!("{head}...{tail}")
}

fn shorten(mut parts: Vec<String>) -> Vec<String> {
    if parts.len() > MAX_LIST {
        let i = MAX_LIST / 2;
        let j = i - 1;
        let tail = parts.split_off(parts.len() - j);
        parts.truncate(i);
        parts.push("...".into());
        parts.extend(tail);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_notation() {
        let v: Value = serde_json::from_str(
            r#"{"email": {"eq": "a@b.c"}, "state": null, "on": true, "n": 3, "deep": {"a": {"b": 1}}, "q": "it's"}"#,
        )
        .unwrap();
        assert_eq!(
            inspect(&v),
            "{'email': {'eq': 'a@b.c'}, 'state': None, 'on': True, 'n': 3, 'deep': {'a': {...}}, 'q': \"it's\"}"
        );
        let list: Value = serde_json::from_str("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]").unwrap();
        assert_eq!(inspect(&list), "[0, 1, 2, 3, 4, ..., 8, 9, 10, 11]");
        assert_eq!(inspect(&Value::List(Vec::new())), "[]");
    }
}
