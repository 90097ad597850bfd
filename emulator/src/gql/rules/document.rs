//! graphql-core's validation rules where async-graphql is missing one or words it differently
//! (graphql-core 3.2, graphql/validation/rules/*.py): fields on correct type, known argument
//! names, provided required arguments, input object fields in literals, variables defined, and
//! variables in allowed positions. async-graphql 7.2's own VariableInAllowedPosition never fires
//! (its visitor chain does not pass input values on), so a `$n: String` variable used for
//! `name: String!` would otherwise run.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::Pos;
use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet, Type,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::Value;

use super::index::{Index, Input, named};
use super::suggest::{did_you_mean, suggestion_list};
use super::{Problem, type_str};

/// A place a variable is used: the type expected there (unknown in a place that is itself an
/// error) and whether that place has a default.
#[derive(Clone)]
struct Usage {
    name: String,
    pos: Pos,
    ty: Option<Type>,
    has_default: bool,
}

/// Walks the document once, collecting problems and, per operation or fragment, variable usages.
struct Walker<'a> {
    index: &'a Index,
    problems: Vec<Problem>,
    usages: Vec<Usage>,
}

pub(super) fn check(index: &Index, doc: &ExecutableDocument) -> Vec<Problem> {
    let mut fragment_usages: BTreeMap<String, (Vec<Usage>, BTreeSet<String>)> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut names: Vec<&Name> = doc.fragments.keys().collect();
    names.sort();
    for name in names {
        let fragment = &doc.fragments[name];
        let mut w = Walker { index, problems: Vec::new(), usages: Vec::new() };
        let on = fragment.node.type_condition.node.on.node.to_string();
        let known = index.is_composite(&on).then_some(on);
        w.selection_set(known.as_deref(), &fragment.node.selection_set);
        problems.append(&mut w.problems);
        fragment_usages.insert(name.to_string(), (w.usages, spreads(&fragment.node.selection_set)));
    }
    for (name, op) in doc.operations.iter() {
        let root = match op.node.ty {
            async_graphql::parser::types::OperationType::Query => Some(index.query.clone()),
            async_graphql::parser::types::OperationType::Mutation => index.mutation.clone(),
            async_graphql::parser::types::OperationType::Subscription => None,
        };
        let mut w = Walker { index, problems: Vec::new(), usages: Vec::new() };
        w.directives(&op.node.directives);
        w.selection_set(root.as_deref(), &op.node.selection_set);
        problems.append(&mut w.problems);
        // The fragments this operation reaches, each once.
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = spreads(&op.node.selection_set).into_iter().collect();
        let mut usages = w.usages;
        while let Some(f) = todo.pop() {
            if !reached.insert(f.clone()) {
                continue;
            }
            if let Some((u, next)) = fragment_usages.get(&f) {
                usages.extend(u.iter().cloned());
                todo.extend(next.iter().cloned());
            }
        }
        problems.extend(variable_problems(name, &op.node, &usages));
    }
    problems
}

/// The names of the fragments spread directly in `set` (at any depth of fields).
fn spreads(set: &Positioned<SelectionSet>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in &set.node.items {
        match &item.node {
            Selection::Field(f) => out.extend(spreads(&f.node.selection_set)),
            Selection::FragmentSpread(s) => {
                out.insert(s.node.fragment_name.node.to_string());
            }
            Selection::InlineFragment(i) => out.extend(spreads(&i.node.selection_set)),
        }
    }
    out
}

/// NoUndefinedVariablesRule and VariablesInAllowedPositionRule for one operation.
fn variable_problems(op_name: Option<&Name>, op: &OperationDefinition, usages: &[Usage]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut reported = BTreeSet::new();
    for usage in usages {
        let Some(def) = op.variable_definitions.iter().find(|d| d.node.name.node == usage.name) else {
            if reported.insert(usage.name.clone()) {
                let message = match op_name {
                    Some(n) => format!("Variable '${}' is not defined by operation '{n}'.", usage.name),
                    None => format!("Variable '${}' is not defined.", usage.name),
                };
                out.push(Problem { message, locations: vec![usage.pos] });
            }
            continue;
        };
        let Some(loc) = &usage.ty else { continue };
        let var_type = &def.node.var_type.node;
        let non_null_default = def.node.default_value.as_ref().is_some_and(|v| v.node != async_graphql::Value::Null);
        if !allowed(var_type, non_null_default, loc, usage.has_default) {
            out.push(Problem {
                message: format!(
                    "Variable '${}' of type '{}' used in position expecting type '{}'.",
                    usage.name,
                    type_str(var_type),
                    type_str(loc)
                ),
                locations: vec![def.pos, usage.pos],
            });
        }
    }
    out
}

fn nullable(ty: &Type) -> Type {
    Type { base: ty.base.clone(), nullable: true }
}

/// graphql-js `allowedVariableUsage`: a nullable variable may feed a non-null position only when
/// the variable has a non-null default or the position has a default.
fn allowed(var_type: &Type, var_has_non_null_default: bool, loc: &Type, loc_has_default: bool) -> bool {
    if !loc.nullable && var_type.nullable {
        if !var_has_non_null_default && !loc_has_default {
            return false;
        }
        return subtype(var_type, &nullable(loc));
    }
    subtype(var_type, loc)
}

/// `isTypeSubTypeOf` for input types.
fn subtype(sub: &Type, sup: &Type) -> bool {
    if !sup.nullable {
        return !sub.nullable && subtype(&nullable(sub), &nullable(sup));
    }
    if !sub.nullable {
        return subtype(&nullable(sub), sup);
    }
    match (&sub.base, &sup.base) {
        (BaseType::List(a), BaseType::List(b)) => subtype(a, b),
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        _ => false,
    }
}

impl Walker<'_> {
    fn selection_set(&mut self, parent: Option<&str>, set: &Positioned<SelectionSet>) {
        for item in &set.node.items {
            match &item.node {
                Selection::Field(f) => self.field(parent, f),
                Selection::FragmentSpread(s) => self.directives(&s.node.directives),
                Selection::InlineFragment(i) => {
                    self.directives(&i.node.directives);
                    let on = match &i.node.type_condition {
                        Some(c) => {
                            let on = c.node.on.node.as_str();
                            self.index.is_composite(on).then_some(on)
                        }
                        None => parent,
                    };
                    self.selection_set(on, &i.node.selection_set);
                }
            }
        }
    }

    fn field(&mut self, parent: Option<&str>, f: &Positioned<async_graphql::parser::types::Field>) {
        let name = f.node.name.node.as_str();
        self.directives(&f.node.directives);
        // Introspection (`__typename`, `__schema`, `__type`) is async-graphql's to check.
        let Some(parent) = parent.filter(|_| !name.starts_with("__")) else {
            for (_, value) in &f.node.arguments {
                self.value_usages(&value.node, value.pos);
            }
            return;
        };
        let Some(def) = self.index.field(parent, name) else {
            let message =
                format!("Cannot query field '{name}' on type '{parent}'.") + &self.field_suggestion(parent, name);
            self.problems.push(Problem { message, locations: vec![f.pos] });
            for (_, value) in &f.node.arguments {
                self.value_usages(&value.node, value.pos);
            }
            return;
        };
        let def = def.clone();
        for (arg, value) in &f.node.arguments {
            match def.args.iter().find(|(n, _)| n == arg.node.as_str()) {
                Some((_, input)) => self.value(&value.node, value.pos, input),
                None => {
                    let options = suggestion_list(arg.node.as_str(), def.args.iter().map(|(n, _)| n.as_str()));
                    self.problems.push(Problem {
                        message: format!("Unknown argument '{}' on field '{parent}.{name}'.", arg.node)
                            + &did_you_mean(&options, None),
                        locations: vec![arg.pos],
                    });
                    self.value_usages(&value.node, value.pos);
                }
            }
        }
        for (arg, input) in &def.args {
            let given = f.node.arguments.iter().any(|(n, _)| n.node.as_str() == arg);
            if !given && !input.ty.nullable && !input.has_default {
                self.problems.push(Problem {
                    message: format!(
                        "Field '{name}' argument '{arg}' of type '{}' is required, but it was not provided.",
                        type_str(&input.ty)
                    ),
                    locations: vec![f.pos],
                });
            }
        }
        let inner = named(&def.ty);
        let next = self.index.is_composite(inner).then_some(inner.to_string());
        self.selection_set(next.as_deref(), &f.node.selection_set);
    }

    /// FieldsOnCorrectTypeRule's suggestion: an inline fragment on the types that have the field,
    /// or else similar field names.
    fn field_suggestion(&self, parent: &str, name: &str) -> String {
        let possible = self.index.possible(parent);
        let is_abstract = possible.len() != 1 || !possible.contains(parent);
        if is_abstract {
            let types: Vec<String> = possible.iter().filter(|t| self.index.field(t, name).is_some()).cloned().collect();
            if !types.is_empty() {
                return did_you_mean(&types, Some("to use an inline fragment on"));
            }
        }
        did_you_mean(&suggestion_list(name, self.index.field_names(parent)), None)
    }

    fn directives(&mut self, directives: &[Positioned<Directive>]) {
        for d in directives {
            let boolean = matches!(d.node.name.node.as_str(), "skip" | "include");
            for (arg, value) in &d.node.arguments {
                let ty = (boolean && arg.node == "if").then(|| Type::new("Boolean!").expect("a type"));
                match ty {
                    Some(ty) => self.value(&value.node, value.pos, &Input { ty, has_default: false }),
                    None => self.value_usages(&value.node, value.pos),
                }
            }
        }
    }

    /// A value in a position of type `input`: variable usages, and input object fields that
    /// don't exist or are missing (ValuesOfCorrectTypeRule's wording).
    fn value(&mut self, value: &Value, pos: Pos, input: &Input) {
        match value {
            Value::Variable(name) => self.usages.push(Usage {
                name: name.to_string(),
                pos,
                ty: Some(input.ty.clone()),
                has_default: input.has_default,
            }),
            Value::List(items) => match &input.ty.base {
                BaseType::List(item) => {
                    let item = Input { ty: (**item).clone(), has_default: false };
                    for v in items {
                        self.value(v, pos, &item);
                    }
                }
                BaseType::Named(_) => {
                    for v in items {
                        self.value_usages(v, pos);
                    }
                }
            },
            Value::Object(fields) => {
                let type_name = named(&input.ty).to_string();
                let Some(defs) = self.index.input_fields(&type_name).map(<[_]>::to_vec) else {
                    self.value_usages(value, pos);
                    return;
                };
                for (k, v) in fields {
                    match defs.iter().find(|(n, _)| n == k.as_str()) {
                        Some((_, field)) => self.value(v, pos, field),
                        None => {
                            let options = suggestion_list(k.as_str(), defs.iter().map(|(n, _)| n.as_str()));
                            self.problems.push(Problem {
                                message: format!("Field '{k}' is not defined by type '{type_name}'.")
                                    + &did_you_mean(&options, None),
                                locations: vec![pos],
                            });
                            self.value_usages(v, pos);
                        }
                    }
                }
                for (n, field) in &defs {
                    if !field.ty.nullable && !field.has_default && !fields.keys().any(|k| k.as_str() == n) {
                        self.problems.push(Problem {
                            message: format!(
                                "Field '{type_name}.{n}' of required type '{}' was not provided.",
                                type_str(&field.ty)
                            ),
                            locations: vec![pos],
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Variable usages in a value whose position type is unknown: only "defined" is checked (the
    /// position's own problem is reported elsewhere).
    fn value_usages(&mut self, value: &Value, pos: Pos) {
        match value {
            Value::Variable(name) => {
                self.usages.push(Usage { name: name.to_string(), pos, ty: None, has_default: true })
            }
            Value::List(items) => items.iter().for_each(|v| self.value_usages(v, pos)),
            Value::Object(fields) => fields.values().for_each(|v| self.value_usages(v, pos)),
            _ => {}
        }
    }
}
