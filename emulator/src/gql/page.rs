//! Relay pagination: `PageInfo`, the connection arguments and the one paging function.

use async_graphql::SimpleObject;

use crate::ids;

#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct PageInfo {
    pub(crate) start_cursor: Option<String>,
    pub(crate) end_cursor: Option<String>,
    pub(crate) has_next_page: bool,
    pub(crate) has_previous_page: bool,
}

/// The standard connection arguments.
#[derive(Clone, Debug, Default)]
pub(crate) struct PageArgs {
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) first: Option<i32>,
    pub(crate) last: Option<i32>,
}

impl PageArgs {
    pub(crate) fn new(after: Option<String>, before: Option<String>, first: Option<i32>, last: Option<i32>) -> Self {
        PageArgs { after, before, first, last }
    }
}

pub(crate) const DEFAULT_PAGE_SIZE: usize = 50;
pub(crate) const MAX_PAGE_SIZE: usize = 1000;

/// One page: (cursor, item) pairs, the page info and the total count before paging.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<(String, T)>,
    pub(crate) page_info: PageInfo,
    pub(crate) total_count: i32,
}

/// One page of `items`, as (cursor, item) pairs, with its page info and the total count.
/// `first` defaults to 50 (when neither `first` nor `last` is given) and is capped at 1000; an
/// unparseable cursor is ignored (the page starts at the beginning, or ends at the end).
pub(crate) fn paginate<T>(items: Vec<T>, args: &PageArgs) -> async_graphql::Result<Page<T>> {
    let total = items.len();
    for (name, value) in [("first", args.first), ("last", args.last)] {
        if value.is_some_and(|v| v < 0) {
            return Err(async_graphql::Error::new(format!("Argument '{name}' must be a non-negative integer")));
        }
    }
    let lower = args.after.as_deref().and_then(ids::cursor_offset).map(|n| n.saturating_add(1).min(total)).unwrap_or(0);
    let upper = args.before.as_deref().and_then(ids::cursor_offset).map(|n| n.min(total)).unwrap_or(total).max(lower);
    let first = match (args.first, args.last) {
        (Some(f), _) => Some((f as usize).min(MAX_PAGE_SIZE)),
        (None, None) => Some(DEFAULT_PAGE_SIZE),
        (None, Some(_)) => None,
    };
    let mut start = lower;
    let mut end = upper;
    if let Some(f) = first {
        end = end.min(start + f);
    }
    if let Some(l) = args.last {
        let l = (l as usize).min(MAX_PAGE_SIZE);
        start = start.max(end.saturating_sub(l));
    }
    let page: Vec<(String, T)> =
        items.into_iter().enumerate().skip(start).take(end - start).map(|(i, item)| (ids::cursor(i), item)).collect();
    let info = PageInfo {
        start_cursor: page.first().map(|(c, _)| c.clone()),
        end_cursor: page.last().map(|(c, _)| c.clone()),
        has_next_page: end < upper,
        has_previous_page: start > 0,
    };
    Ok(Page { items: page, page_info: info, total_count: i32::try_from(total).unwrap_or(i32::MAX) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let items: Vec<u32> = (0..120).collect();
        let p = paginate(items.clone(), &PageArgs::default()).unwrap();
        assert_eq!((p.items.len(), p.total_count, p.page_info.has_next_page), (50, 120, true));
        let after = p.page_info.end_cursor.clone();
        let p = paginate(items.clone(), &PageArgs::new(after, None, Some(100), None)).unwrap();
        assert_eq!(p.items.len(), 70);
        assert_eq!(p.items[0].1, 50);
        assert!(!p.page_info.has_next_page);
        let p = paginate(items.clone(), &PageArgs::new(Some("junk".into()), None, Some(3), None)).unwrap();
        assert_eq!(p.items[0].1, 0);
        let p = paginate(items, &PageArgs::new(None, None, None, Some(5))).unwrap();
        assert_eq!(p.items[0].1, 115);
    }
}
