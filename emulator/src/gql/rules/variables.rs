//! graphql-core's coercion of variable values (graphql/execution/values.py and
//! utilities/coerce_input_value.py), run before anything executes: required variables given and
//! not null, and input objects with only the fields their type has and every required one.
//! Scalars and enums are left to async-graphql, which checks them against the same types.

use async_graphql::Variables;
use async_graphql::parser::types::{BaseType, OperationDefinition, Type};
use async_graphql::{Positioned, Value};

use super::index::{Index, named};
use super::inspect::inspect;
use super::suggest::{did_you_mean, suggestion_list};
use super::{Problem, type_str};

enum Step {
    Key(String),
    Index(usize),
}

pub(super) fn check(index: &Index, op: &Positioned<OperationDefinition>, variables: &Variables) -> Vec<Problem> {
    let mut out = Vec::new();
    for def in &op.node.variable_definitions {
        let name = def.node.name.node.as_str();
        let ty = &def.node.var_type.node;
        match variables.get(&def.node.name.node) {
            None if def.node.default_value.is_none() && !ty.nullable => out.push(Problem {
                message: format!("Variable '${name}' of required type '{}' was not provided.", type_str(ty)),
                locations: vec![def.pos],
            }),
            None => {}
            Some(Value::Null) if !ty.nullable => out.push(Problem {
                message: format!("Variable '${name}' of non-null type '{}' must not be null.", type_str(ty)),
                locations: vec![def.pos],
            }),
            Some(value) => {
                let mut report = |path: &[Step], bad: &Value, message: String| {
                    let at = if path.is_empty() {
                        String::new()
                    } else {
                        let steps: String = path
                            .iter()
                            .map(|s| match s {
                                Step::Key(k) => format!(".{k}"),
                                Step::Index(i) => format!("[{i}]"),
                            })
                            .collect();
                        format!(" at '{name}{steps}'")
                    };
                    out.push(Problem {
                        message: format!("Variable '${name}' got invalid value {}{at}; {message}", inspect(bad)),
                        locations: vec![def.pos],
                    });
                };
                coerce(index, value, ty, &mut Vec::new(), &mut report);
            }
        }
    }
    out
}

fn coerce(
    index: &Index,
    value: &Value,
    ty: &Type,
    path: &mut Vec<Step>,
    report: &mut impl FnMut(&[Step], &Value, String),
) {
    if value == &Value::Null {
        if !ty.nullable {
            report(path, value, format!("Expected non-nullable type '{}' not to be null.", type_str(ty)));
        }
        return;
    }
    match &ty.base {
        BaseType::List(item) => match value {
            Value::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    coerce(index, v, item, path, report);
                    path.pop();
                }
            }
            single => coerce(index, single, item, path, report),
        },
        BaseType::Named(type_name) => {
            let Some(fields) = index.input_fields(type_name) else { return };
            let Value::Object(given) = value else {
                report(path, value, format!("Expected type '{type_name}' to be a mapping."));
                return;
            };
            for (field, def) in fields {
                match given.get(field.as_str()) {
                    Some(v) => {
                        path.push(Step::Key(field.clone()));
                        coerce(index, v, &def.ty, path, report);
                        path.pop();
                    }
                    None if !def.ty.nullable && !def.has_default => report(
                        path,
                        value,
                        format!("Field '{field}' of required type '{}' was not provided.", type_str(&def.ty)),
                    ),
                    None => {}
                }
            }
            for key in given.keys() {
                if !fields.iter().any(|(f, _)| f == key.as_str()) {
                    let options = suggestion_list(key.as_str(), fields.iter().map(|(f, _)| f.as_str()));
                    report(
                        path,
                        value,
                        format!("Field '{key}' is not defined by type '{}'.", named(ty))
                            + &did_you_mean(&options, None),
                    );
                }
            }
        }
    }
}
