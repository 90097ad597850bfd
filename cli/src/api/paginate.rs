//! The one pagination helper: Relay connections, `first: 100`, `after: endCursor`, page by page.

use std::future::Future;

use crate::error::{Error, Kind, Result};

/// Page size requested from the API.
pub(crate) const PAGE_SIZE: usize = 100;

/// One page of a connection, already mapped to domain values.
#[derive(Debug)]
pub struct Page<T> {
    pub nodes: Vec<T>,
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

/// Fetches pages until the connection ends or `limit` nodes were seen, handing each page's nodes
/// to `sink` as soon as it arrives (so output streams). Returns how many nodes were handed over.
pub(crate) async fn paginate<T, F, Fut>(
    limit: Option<usize>,
    mut fetch: F,
    mut sink: impl FnMut(Vec<T>) -> Result<()>,
) -> Result<usize>
where
    F: FnMut(Option<String>, i64) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut after: Option<String> = None;
    let mut seen = 0usize;
    loop {
        let want = limit.map_or(PAGE_SIZE, |l| l.saturating_sub(seen).min(PAGE_SIZE));
        if want == 0 {
            return Ok(seen);
        }
        let page = fetch(after.clone(), want as i64).await?;
        let mut nodes = page.nodes;
        if let Some(l) = limit {
            nodes.truncate(l - seen);
        }
        seen += nodes.len();
        sink(nodes)?;
        if !page.has_next_page || limit.is_some_and(|l| seen >= l) {
            return Ok(seen);
        }
        match page.end_cursor {
            Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
            _ => {
                return Err(Error::new(Kind::BadResponse, "the API said there are more pages but gave no new cursor"));
            }
        }
    }
}

/// Collects every node (for lookups and nested lists, not for user-facing lists).
pub(crate) async fn collect<T, F, Fut>(limit: Option<usize>, fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>, i64) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut all = Vec::new();
    paginate(limit, fetch, |nodes| {
        all.extend(nodes);
        Ok(())
    })
    .await?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(total: usize) -> impl FnMut(Option<String>, i64) -> std::future::Ready<Result<Page<usize>>> {
        move |after, first| {
            let start: usize = after.map_or(0, |c| c.parse::<usize>().unwrap() + 1);
            let end = (start + first as usize).min(total);
            std::future::ready(Ok(Page {
                nodes: (start..end).collect(),
                end_cursor: (end > start).then(|| (end - 1).to_string()),
                has_next_page: end < total,
            }))
        }
    }

    #[tokio::test]
    async fn walks_all_pages_and_streams_per_page() {
        let mut sizes = Vec::new();
        let n = paginate(None, pages(250), |nodes| {
            sizes.push(nodes.len());
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(n, 250);
        assert_eq!(sizes, vec![100, 100, 50]);
    }

    #[tokio::test]
    async fn limit_stops_early_and_asks_for_less() {
        let all = collect(Some(130), pages(1000)).await.unwrap();
        assert_eq!(all.len(), 130);
        assert_eq!(all.last(), Some(&129));
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error_not_a_loop() {
        let fetch = |_after: Option<String>, _first: i64| {
            std::future::ready(Ok(Page { nodes: vec![1], end_cursor: Some("same".to_owned()), has_next_page: true }))
        };
        let err = collect(None, fetch).await.unwrap_err();
        assert_eq!(err.kind, Kind::BadResponse);
    }
}
