//! Checks a request against the served schema before it runs, as graphql-core does on the real
//! API (Graphene on graphql-core; the API answers HTTP 400 to a request that fails them):
//! limits first, then the document rules async-graphql lacks or words differently, then the
//! variable values of the operation to run. async-graphql's own validation runs after these.
//! Messages are graphql-core 3.2's, word for word.

mod document;
mod index;
mod inspect;
mod limits;
mod suggest;
mod variables;

use async_graphql::Variables;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Type};
use async_graphql::{Pos, Positioned};
use serde_json::{Value, json};

pub(crate) use limits::{MAX_DEPTH, MAX_FIELDS};

/// One GraphQL error found before execution.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) message: String,
    pub(crate) locations: Vec<Pos>,
}

impl Problem {
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({ "message": self.message });
        if !self.locations.is_empty() {
            v["locations"] = self.locations.iter().map(|p| json!({"line": p.line, "column": p.column})).collect();
        }
        v
    }
}

/// A type as graphql-core prints it.
fn type_str(ty: &Type) -> String {
    ty.to_string()
}

/// The rules, with what they need to know of the schema.
pub(crate) struct Rules {
    index: index::Index,
}

impl Rules {
    pub(crate) fn new(sdl: &str) -> Rules {
        Rules { index: index::Index::new(sdl) }
    }

    /// Everything wrong with the request, or nothing.
    pub(crate) fn check(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
        operation_name: Option<&str>,
    ) -> Vec<Problem> {
        let problems = limits::check(doc);
        if !problems.is_empty() {
            return problems;
        }
        let problems = document::check(&self.index, doc);
        if !problems.is_empty() {
            return problems;
        }
        match operation(doc, operation_name) {
            Ok(op) => variables::check(&self.index, op, variables),
            Err(p) => vec![p],
        }
    }
}

/// The operation to run (graphql-core's `assert_valid_execution_arguments` and
/// `build_execution_context` wording).
fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<&'a Positioned<async_graphql::parser::types::OperationDefinition>, Problem> {
    let problem = |message: String| Problem { message, locations: Vec::new() };
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Ok(op),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => Ok(ops.values().next().expect("one")),
        (DocumentOperations::Multiple(_), None) => {
            Err(problem("Must provide operation name if query contains multiple operations.".into()))
        }
        (DocumentOperations::Multiple(ops), Some(n)) => {
            ops.get(n).ok_or_else(|| problem(format!("Unknown operation named '{n}'.")))
        }
        (DocumentOperations::Single(_), Some(n)) => Err(problem(format!("Unknown operation named '{n}'."))),
    }
}
