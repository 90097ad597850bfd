//! graphql-core's "Did you mean ...?" (graphql/pyutils/did_you_mean.py, suggestion_list.py).

/// Options within graphql-core's lexical distance of `input`, nearest first (then by name).
pub(super) fn suggestion_list<'a>(input: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let threshold = input.chars().count() * 4 / 10 + 1;
    let input_lower = input.to_lowercase();
    let mut found: Vec<(usize, String)> = options
        .into_iter()
        .filter_map(|option| {
            let d =
                if option.to_lowercase() == input_lower { 1 } else { distance(&input_lower, &option.to_lowercase()) };
            (d <= threshold).then(|| (d, option.to_string()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, s)| s).collect()
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// `" Did you mean 'a', 'b', or 'c'?"` (at most five), or `""` when there is nothing to suggest.
pub(super) fn did_you_mean(suggestions: &[String], sub_message: Option<&str>) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = suggestions.iter().take(5).map(|s| format!("'{s}'")).collect();
    let list = match quoted.as_slice() {
        [one] => format!("{one}?"),
        [a, b] => format!("{a} or {b}?"),
        [rest @ .., last] => format!("{}, or {last}?", rest.join(", ")),
        [] => return String::new(),
    };
    match sub_message {
        Some(m) => format!(" Did you mean {m} {list}"),
        None => format!(" Did you mean {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_as_graphql_core_words_them() {
        assert_eq!(suggestion_list("nmae", ["name", "names", "id"]), ["name", "names"]);
        assert_eq!(suggestion_list("Name", ["name"]), ["name"]);
        assert!(suggestion_list("zzzzzz", ["name"]).is_empty());
        assert_eq!(did_you_mean(&["a".into()], None), " Did you mean 'a'?");
        assert_eq!(did_you_mean(&["a".into(), "b".into()], None), " Did you mean 'a' or 'b'?");
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(
            did_you_mean(&three, Some("to use an inline fragment on")),
            " Did you mean to use an inline fragment on 'a', 'b', or 'c'?"
        );
        assert_eq!(did_you_mean(&[], None), "");
    }
}
