//! The emulator must serve exactly the schema tgctl targets (cli/graphql/schema.graphql).
//! Both SDLs are parsed and compared type by type: kinds, fields, arguments (and defaults), type
//! references, enum values, union members, interface lists and root types. Descriptions,
//! ordering and directives are ignored.

use std::collections::{BTreeMap, BTreeSet};

use graphql_parser::schema::{Definition, Document, TypeDefinition, parse_schema};

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

#[test]
fn emulator_serves_the_cli_schema() {
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
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the emulator's schema drifted from cli/graphql/schema.graphql\n\
         in the CLI schema but not served ({}):\n  {}\n\
         served but not in the CLI schema ({}):\n  {}",
        missing.len(),
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        extra.len(),
        extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
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
}
