//! Limits that keep one request from taking the emulator down (issue 15): a document with 3,000
//! aliased `__schema` fields used to take 7.9 s, answer 61 MB and peak at 2.6 GB. The real API's
//! limits are not public; these are the emulator's own, set well above what the clients we know
//! send (docs/emulator.md, "Limits"). Counted on the document before anything else runs, with
//! each fragment counted once however often it is spread, so a fragment "bomb" costs nothing.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

use super::Problem;

/// Most aliased fields in one document.
pub(crate) const MAX_ALIASES: usize = 1000;
/// Most field selections in one document, fragments expanded where they are spread.
pub(crate) const MAX_FIELDS: usize = 10_000;
/// Most introspection root fields (`__schema`, `__type`) in one document: each answers with a
/// large part of the schema.
pub(crate) const MAX_INTROSPECTION: usize = 5;
/// Deepest nesting of selections (the standard introspection query needs 13).
pub(crate) const MAX_DEPTH: usize = 20;

#[derive(Clone, Copy, Default)]
struct Cost {
    fields: usize,
    aliases: usize,
    introspection: usize,
    depth: usize,
}

impl Cost {
    fn add(&mut self, other: Cost, depth_offset: usize) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.introspection = self.introspection.saturating_add(other.introspection);
        self.depth = self.depth.max(other.depth.saturating_add(depth_offset));
    }
}

struct Counter<'a> {
    doc: &'a ExecutableDocument,
    /// Fragment costs; `None` while one is being counted (a cycle, which validation refuses).
    fragments: HashMap<&'a Name, Option<Cost>>,
}

impl<'a> Counter<'a> {
    fn set(&mut self, set: &'a Positioned<SelectionSet>) -> Cost {
        let mut cost = Cost::default();
        for item in &set.node.items {
            match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    let inner = self.set(&f.node.selection_set);
                    cost.add(inner, 1);
                    cost.fields = cost.fields.saturating_add(1);
                    cost.depth = cost.depth.max(1);
                    cost.aliases += usize::from(f.node.alias.is_some());
                    cost.introspection += usize::from(name == "__schema" || name == "__type");
                }
                Selection::InlineFragment(i) => {
                    let inner = self.set(&i.node.selection_set);
                    cost.add(inner, 0);
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    let inner = match self.fragments.get(name) {
                        Some(Some(c)) => *c,
                        Some(None) => Cost::default(),
                        None => match self.doc.fragments.get(name) {
                            Some(def) => {
                                self.fragments.insert(name, None);
                                let c = self.set(&def.node.selection_set);
                                self.fragments.insert(name, Some(c));
                                c
                            }
                            None => Cost::default(),
                        },
                    };
                    cost.add(inner, 0);
                }
            }
        }
        cost
    }
}

/// The limits broken by the whole document (every operation in it), as GraphQL errors.
pub(super) fn check(doc: &ExecutableDocument) -> Vec<Problem> {
    let mut counter = Counter { doc, fragments: HashMap::new() };
    let mut total = Cost::default();
    for (_, op) in doc.operations.iter() {
        let c = counter.set(&op.node.selection_set);
        total.add(c, 0);
    }
    let mut out = Vec::new();
    let mut limit = |n: usize, max: usize, what: &str| {
        if n > max {
            out.push(Problem {
                message: format!("The query has {n} {what}; the limit is {max}."),
                locations: Vec::new(),
            });
        }
    };
    limit(total.aliases, MAX_ALIASES, "aliases");
    limit(total.introspection, MAX_INTROSPECTION, "introspection fields (__schema, __type)");
    limit(total.fields, MAX_FIELDS, "fields");
    limit(total.depth, MAX_DEPTH, "levels of nested selections");
    out
}
