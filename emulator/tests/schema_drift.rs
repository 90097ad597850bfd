//! tgctl's declared schema (cli/graphql/schema.graphql) against the schema the emulator serves.
//!
//! Both are meant to be the real API's: the emulator serves the API's schema as far as public
//! sources show it (docs/emulator.md), and tgctl declares the part of it that tgctl uses. So
//! every fact of the CLI schema must be served exactly (kinds, fields, arguments and defaults,
//! type references with their nullability, enum values, union members, interfaces, root types),
//! and where the emulator serves more on a type tgctl declares, tgctl must still be able to use
//! that type: no extra enum value (tgctl could not decode it) and no extra required argument or
//! input field (tgctl could not send it). Types tgctl does not declare are not compared.
//! Descriptions, ordering and directives are ignored.

use std::collections::{BTreeMap, BTreeSet};

use graphql_parser::schema::{Definition, Document, Type, TypeDefinition, parse_schema};

/// A normalised view of a schema: one line per fact, keyed so differences are easy to read.
fn facts(doc: &Document<'_, String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut roots = BTreeMap::new();
    for def in &doc.definitions {
        match def {
            Definition::SchemaDefinition(s) => {
                for (k, v) in [("query", &s.query), ("mutation", &s.mutation), ("subscription", &s.subscription)] {
                    if let Some(v) = v {
                        roots.insert(k, v.clone());
                    }
                }
            }
            Definition::TypeDefinition(t) => type_facts(t, &mut out),
            Definition::TypeExtension(_) => {
                out.insert("type extensions are not expected".into());
            }
            Definition::DirectiveDefinition(_) => {}
        }
    }
    for (k, v) in roots {
        out.insert(format!("schema.{k} = {v}"));
    }
    out
}

fn type_facts(t: &TypeDefinition<'_, String>, out: &mut BTreeSet<String>) {
    let field_facts =
        |owner: &str, fields: &[graphql_parser::schema::Field<'_, String>], out: &mut BTreeSet<String>| {
            for f in fields {
                out.insert(format!("{owner}.{}: {}", f.name, f.field_type));
                for a in &f.arguments {
                    let default = a.default_value.as_ref().map(|d| format!(" = {d}")).unwrap_or_default();
                    out.insert(format!("{owner}.{}({}: {}{default})", f.name, a.name, a.value_type));
                }
            }
        };
    match t {
        TypeDefinition::Scalar(s) => {
            out.insert(format!("scalar {}", s.name));
        }
        TypeDefinition::Object(o) => {
            out.insert(format!("type {}", o.name));
            for i in &o.implements_interfaces {
                out.insert(format!("type {} implements {i}", o.name));
            }
            field_facts(&o.name, &o.fields, out);
        }
        TypeDefinition::Interface(i) => {
            out.insert(format!("interface {}", i.name));
            for x in &i.implements_interfaces {
                out.insert(format!("interface {} implements {x}", i.name));
            }
            field_facts(&i.name, &i.fields, out);
        }
        TypeDefinition::Union(u) => {
            out.insert(format!("union {}", u.name));
            for m in &u.types {
                out.insert(format!("union {} member {m}", u.name));
            }
        }
        TypeDefinition::Enum(e) => {
            out.insert(format!("enum {}", e.name));
            for v in &e.values {
                out.insert(format!("enum {}.{}", e.name, v.name));
            }
        }
        TypeDefinition::InputObject(i) => {
            out.insert(format!("input {}", i.name));
            for f in &i.fields {
                let default = f.default_value.as_ref().map(|d| format!(" = {d}")).unwrap_or_default();
                out.insert(format!("input {}.{}: {}{default}", i.name, f.name, f.value_type));
            }
        }
    }
}

fn type_name(t: &TypeDefinition<'_, String>) -> String {
    match t {
        TypeDefinition::Scalar(x) => x.name.clone(),
        TypeDefinition::Object(x) => x.name.clone(),
        TypeDefinition::Interface(x) => x.name.clone(),
        TypeDefinition::Union(x) => x.name.clone(),
        TypeDefinition::Enum(x) => x.name.clone(),
        TypeDefinition::InputObject(x) => x.name.clone(),
    }
}

fn types<'a>(doc: &Document<'a, String>) -> BTreeMap<String, TypeDefinition<'a, String>> {
    doc.definitions
        .iter()
        .filter_map(|d| match d {
            Definition::TypeDefinition(t) => Some((type_name(t), t.clone())),
            _ => None,
        })
        .collect()
}

/// What the served schema has on a type tgctl declares that tgctl could not live with.
fn unusable_extras(declared: &Document<'_, String>, served: &Document<'_, String>) -> Vec<String> {
    let required = |ty: &Type<'_, String>, has_default: bool| matches!(ty, Type::NonNullType(_)) && !has_default;
    let mut out = Vec::new();
    let served = types(served);
    for (name, want) in types(declared) {
        let Some(have) = served.get(&name) else { continue };
        match (want, have) {
            (TypeDefinition::Enum(w), TypeDefinition::Enum(h)) => {
                for v in &h.values {
                    if !w.values.iter().any(|x| x.name == v.name) {
                        out.push(format!("enum {name} has value {} that tgctl does not declare", v.name));
                    }
                }
            }
            (TypeDefinition::InputObject(w), TypeDefinition::InputObject(h)) => {
                for f in &h.fields {
                    if !w.fields.iter().any(|x| x.name == f.name) && required(&f.value_type, f.default_value.is_some())
                    {
                        out.push(format!("input {name}.{} is required but tgctl does not declare it", f.name));
                    }
                }
            }
            (TypeDefinition::Object(w), TypeDefinition::Object(h)) => {
                for f in &h.fields {
                    let Some(wf) = w.fields.iter().find(|x| x.name == f.name) else { continue };
                    for a in &f.arguments {
                        if !wf.arguments.iter().any(|x| x.name == a.name)
                            && required(&a.value_type, a.default_value.is_some())
                        {
                            out.push(format!(
                                "{name}.{}({}) is required but tgctl does not declare it",
                                f.name, a.name
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_emulator_serves_what_tgctl_declares() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/graphql/schema.graphql");
    let target_text = std::fs::read_to_string(path).expect("read cli/graphql/schema.graphql");
    let target = parse_schema::<String>(&target_text).expect("parse the CLI schema");
    let served_text = tgctl_emulator::sdl();
    let served = parse_schema::<String>(&served_text).expect("parse the emulator schema");

    let want = facts(&target);
    let have = facts(&served);
    // Guard against a vacuous comparison.
    assert!(want.len() > 600, "only {} facts in the CLI schema", want.len());
    for fact in ["schema.query = QueriesRoot", "interface Resource implements Node", "union Principal member Group"] {
        assert!(want.contains(fact), "{fact}");
    }
    let missing: Vec<_> = want.difference(&have).collect();
    let unusable = unusable_extras(&target, &served);
    assert!(
        missing.is_empty() && unusable.is_empty(),
        "cli/graphql/schema.graphql and the emulator disagree about the API\n\
         declared by tgctl but not served that way ({}):\n  {}\n\
         served on a type tgctl declares, but unusable by tgctl ({}):\n  {}",
        missing.len(),
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        unusable.len(),
        unusable.join("\n  "),
    );
}

/// The comparison itself must notice a change (guards against a vacuous test).
#[test]
fn the_comparison_notices_drift() {
    let a = parse_schema::<String>("type Q { a(x: Int): String! } enum E { A B } union U = Q").unwrap();
    let b = parse_schema::<String>("type Q { a(x: Int!): String! } enum E { A } union U = Q").unwrap();
    let (fa, fb) = (facts(&a), facts(&b));
    assert_ne!(fa, fb);
    assert!(fa.contains("Q.a(x: Int)"));
    assert!(fa.contains("enum E.B") && !fb.contains("enum E.B"));
    assert!(fa.contains("union U member Q"));

    // Extras: a new optional argument is fine; a required one, or a new enum value, is not.
    let declared = parse_schema::<String>("type Q { a(x: Int): String! } enum E { A } input I { x: Int }").unwrap();
    let fine = parse_schema::<String>(
        "type Q { a(x: Int, y: Int, z: Int! = 1): String! b: Int } enum E { A } input I { x: Int y: [ID!]! = [] }",
    )
    .unwrap();
    assert!(unusable_extras(&declared, &fine).is_empty());
    let bad = parse_schema::<String>("type Q { a(x: Int, y: Int!): String! } enum E { A B } input I { x: Int y: ID! }")
        .unwrap();
    assert_eq!(unusable_extras(&declared, &bad).len(), 3);
}
