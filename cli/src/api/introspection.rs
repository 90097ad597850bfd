//! The live schema: the standard introspection query, and a printer from its answer to SDL
//! (`tgctl api schema`). The printer follows graphql-js's `printSchema` conventions: built-in
//! scalars, directives and `__` types are left out, and a `schema { ... }` block is printed only
//! when the root types are not named Query, Mutation and Subscription.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Kind, Result};

/// The introspection query (descriptions, deprecations, arguments, defaults, directives).
pub(crate) const QUERY: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schema {
    query_type: Option<NameOnly>,
    mutation_type: Option<NameOnly>,
    subscription_type: Option<NameOnly>,
    types: Vec<FullType>,
    #[serde(default)]
    directives: Vec<Directive>,
}

#[derive(Debug, Deserialize)]
struct NameOnly {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullType {
    kind: String,
    name: String,
    description: Option<String>,
    fields: Option<Vec<Field>>,
    input_fields: Option<Vec<InputValue>>,
    interfaces: Option<Vec<TypeRef>>,
    enum_values: Option<Vec<EnumValue>>,
    possible_types: Option<Vec<TypeRef>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Field {
    name: String,
    description: Option<String>,
    #[serde(default)]
    args: Vec<InputValue>,
    #[serde(rename = "type")]
    ty: TypeRef,
    #[serde(default)]
    is_deprecated: bool,
    deprecation_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputValue {
    name: String,
    description: Option<String>,
    #[serde(rename = "type")]
    ty: TypeRef,
    default_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<TypeRef>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnumValue {
    name: String,
    description: Option<String>,
    #[serde(default)]
    is_deprecated: bool,
    deprecation_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Directive {
    name: String,
    description: Option<String>,
    #[serde(default)]
    locations: Vec<String>,
    #[serde(default)]
    args: Vec<InputValue>,
}

const BUILTIN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];
const BUILTIN_DIRECTIVES: &[&str] = &["skip", "include", "deprecated", "specifiedBy", "oneOf"];

/// Prints the SDL of an introspection answer (`data` of [`QUERY`]).
pub(crate) fn to_sdl(data: &Value) -> Result<String> {
    let schema = data.get("__schema").ok_or_else(|| {
        Error::new(Kind::BadResponse, "the introspection answer has no __schema")
            .hint("the endpoint may have introspection turned off")
    })?;
    let schema: Schema = serde_json::from_value(schema.clone())
        .map_err(|e| Error::new(Kind::BadResponse, format!("the introspection answer has an unexpected shape: {e}")))?;
    let mut blocks: Vec<String> = Vec::new();

    let roots = [
        ("query", &schema.query_type),
        ("mutation", &schema.mutation_type),
        ("subscription", &schema.subscription_type),
    ];
    let conventional = roots.iter().all(|(op, t)| {
        t.as_ref().is_none_or(|t| {
            let mut expected = op.to_string();
            expected[..1].make_ascii_uppercase();
            t.name == expected
        })
    });
    if !conventional {
        let mut s = String::from("schema {\n");
        for (op, t) in roots {
            if let Some(t) = t {
                s.push_str(&format!("  {op}: {}\n", t.name));
            }
        }
        s.push('}');
        blocks.push(s);
    }

    for d in schema.directives.iter().filter(|d| !BUILTIN_DIRECTIVES.contains(&d.name.as_str())) {
        let mut s = description(d.description.as_deref(), "");
        s.push_str(&format!("directive @{}{} on {}", d.name, args(&d.args, ""), d.locations.join(" | ")));
        blocks.push(s);
    }

    for t in schema.types.iter().filter(|t| !t.name.starts_with("__")) {
        if t.kind == "SCALAR" && BUILTIN_SCALARS.contains(&t.name.as_str()) {
            continue;
        }
        let mut s = description(t.description.as_deref(), "");
        match t.kind.as_str() {
            "SCALAR" => s.push_str(&format!("scalar {}", t.name)),
            "OBJECT" | "INTERFACE" => {
                let keyword = if t.kind == "OBJECT" { "type" } else { "interface" };
                s.push_str(&format!("{keyword} {}{}", t.name, implements(t.interfaces.as_deref())));
                let fields: Vec<String> = t.fields.iter().flatten().map(field).collect();
                s.push_str(&body(&fields));
            }
            "UNION" => {
                let members: Vec<String> = t.possible_types.iter().flatten().map(type_ref).collect();
                s.push_str(&format!("union {}", t.name));
                if !members.is_empty() {
                    s.push_str(&format!(" = {}", members.join(" | ")));
                }
            }
            "ENUM" => {
                s.push_str(&format!("enum {}", t.name));
                let values: Vec<String> = t
                    .enum_values
                    .iter()
                    .flatten()
                    .map(|v| {
                        let mut line = description(v.description.as_deref(), "  ");
                        line.push_str(&format!(
                            "  {}{}",
                            v.name,
                            deprecated(v.is_deprecated, v.deprecation_reason.as_deref())
                        ));
                        line
                    })
                    .collect();
                s.push_str(&body(&values));
            }
            "INPUT_OBJECT" => {
                s.push_str(&format!("input {}", t.name));
                let fields: Vec<String> = t.input_fields.iter().flatten().map(|f| input_value(f, "  ")).collect();
                s.push_str(&body(&fields));
            }
            other => return Err(Error::new(Kind::BadResponse, format!("unknown kind of type {other:?} ({})", t.name))),
        }
        blocks.push(s);
    }
    Ok(blocks.join("\n\n") + "\n")
}

fn body(lines: &[String]) -> String {
    if lines.is_empty() { String::new() } else { format!(" {{\n{}\n}}", lines.join("\n")) }
}

fn implements(interfaces: Option<&[TypeRef]>) -> String {
    let names: Vec<String> = interfaces.unwrap_or_default().iter().map(type_ref).collect();
    if names.is_empty() { String::new() } else { format!(" implements {}", names.join(" & ")) }
}

fn field(f: &Field) -> String {
    let mut s = description(f.description.as_deref(), "  ");
    s.push_str(&format!(
        "  {}{}: {}{}",
        f.name,
        args(&f.args, "  "),
        type_ref(&f.ty),
        deprecated(f.is_deprecated, f.deprecation_reason.as_deref())
    ));
    s
}

/// `(a: Int, b: String = "x")`, or one argument per line when any has a description.
fn args(args: &[InputValue], indent: &str) -> String {
    if args.is_empty() {
        return String::new();
    }
    if args.iter().all(|a| a.description.is_none()) {
        let inline: Vec<String> = args.iter().map(|a| input_value(a, "")).collect();
        return format!("({})", inline.join(", "));
    }
    let inner = format!("{indent}  ");
    let lines: Vec<String> = args.iter().map(|a| input_value(a, &inner)).collect();
    format!("(\n{}\n{indent})", lines.join("\n"))
}

fn input_value(v: &InputValue, indent: &str) -> String {
    let mut s = description(v.description.as_deref(), indent);
    s.push_str(&format!("{indent}{}: {}", v.name, type_ref(&v.ty)));
    if let Some(d) = &v.default_value {
        s.push_str(&format!(" = {d}"));
    }
    s
}

fn type_ref(t: &TypeRef) -> String {
    match (t.kind.as_str(), &t.of_type) {
        ("NON_NULL", Some(inner)) => format!("{}!", type_ref(inner)),
        ("LIST", Some(inner)) => format!("[{}]", type_ref(inner)),
        _ => t.name.clone().unwrap_or_default(),
    }
}

fn deprecated(is: bool, reason: Option<&str>) -> String {
    match (is, reason) {
        (false, _) => String::new(),
        (true, None | Some("No longer supported")) => " @deprecated".to_owned(),
        (true, Some(r)) => format!(" @deprecated(reason: {})", string_literal(r)),
    }
}

fn string_literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// A description line (or block) followed by a newline, indented; empty when there is none.
fn description(text: Option<&str>, indent: &str) -> String {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return String::new();
    };
    if !text.contains('\n') && !text.contains('"') && !text.contains('\\') {
        return format!("{indent}\"{text}\"\n");
    }
    let escaped = text.replace("\"\"\"", "\\\"\"\"");
    let mut s = format!("{indent}\"\"\"\n");
    for line in escaped.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            s.push_str(&format!("{indent}{line}\n"));
        }
    }
    s.push_str(&format!("{indent}\"\"\"\n"));
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn named(kind: &str, name: &str) -> Value {
        json!({"kind": kind, "name": name, "ofType": null})
    }

    fn non_null(inner: Value) -> Value {
        json!({"kind": "NON_NULL", "name": null, "ofType": inner})
    }

    fn list(inner: Value) -> Value {
        json!({"kind": "LIST", "name": null, "ofType": inner})
    }

    fn ty(kind: &str, name: &str) -> Value {
        json!({"kind": kind, "name": name, "description": null, "fields": null, "inputFields": null,
               "interfaces": null, "enumValues": null, "possibleTypes": null})
    }

    fn introspection() -> Value {
        let mut node = ty("INTERFACE", "Node");
        node["fields"] = json!([{"name": "id", "description": null, "args": [], "type": non_null(named("SCALAR", "ID")),
                                  "isDeprecated": false, "deprecationReason": null}]);
        let mut user = ty("OBJECT", "User");
        user["description"] = json!("A person.");
        user["interfaces"] = json!([named("INTERFACE", "Node")]);
        user["fields"] = json!([
            {"name": "id", "description": null, "args": [], "type": non_null(named("SCALAR", "ID")),
             "isDeprecated": false, "deprecationReason": null},
            {"name": "groups", "description": "Groups the user is in.\nPaged.", "args": [
                {"name": "first", "description": null, "type": named("SCALAR", "Int"), "defaultValue": "50"},
                {"name": "after", "description": null, "type": named("SCALAR", "String"), "defaultValue": null}
             ], "type": non_null(list(non_null(named("OBJECT", "Group")))), "isDeprecated": false, "deprecationReason": null},
            {"name": "isAdmin", "description": null, "args": [], "type": named("SCALAR", "Boolean"),
             "isDeprecated": true, "deprecationReason": "Use role."}
        ]);
        let mut group = ty("OBJECT", "Group");
        group["fields"] = json!([{"name": "name", "description": null, "args": [
                {"name": "upper", "description": "Shout it.", "type": named("SCALAR", "Boolean"), "defaultValue": "false"}
            ], "type": named("SCALAR", "String"), "isDeprecated": false, "deprecationReason": null}]);
        group["interfaces"] = json!([]);
        let mut role = ty("ENUM", "UserRole");
        role["enumValues"] = json!([
            {"name": "ADMIN", "description": null, "isDeprecated": false, "deprecationReason": null},
            {"name": "OLD", "description": "Gone.", "isDeprecated": true, "deprecationReason": "No longer supported"}
        ]);
        let mut principal = ty("UNION", "Principal");
        principal["possibleTypes"] = json!([named("OBJECT", "User"), named("OBJECT", "Group")]);
        let mut input = ty("INPUT_OBJECT", "UserFilterInput");
        input["inputFields"] = json!([
            {"name": "role", "description": null, "type": list(non_null(named("ENUM", "UserRole"))), "defaultValue": null},
            {"name": "limit", "description": null, "type": named("SCALAR", "Int"), "defaultValue": "10"}
        ]);
        let mut root = ty("OBJECT", "QueriesRoot");
        root["fields"] = json!([{"name": "user", "description": null, "args": [
            {"name": "id", "description": null, "type": non_null(named("SCALAR", "ID")), "defaultValue": null}
        ], "type": named("OBJECT", "User"), "isDeprecated": false, "deprecationReason": null}]);
        json!({"__schema": {
            "queryType": {"name": "QueriesRoot"}, "mutationType": null, "subscriptionType": null,
            "types": [root, ty("SCALAR", "String"), ty("SCALAR", "DateTime"), node, user, group, role, principal, input,
                      ty("OBJECT", "__Type")],
            "directives": [
                {"name": "deprecated", "description": null, "locations": ["FIELD_DEFINITION"], "args": []},
                {"name": "cached", "description": "Cache it.", "locations": ["FIELD_DEFINITION", "OBJECT"],
                 "args": [{"name": "ttl", "description": null, "type": non_null(named("SCALAR", "Int")), "defaultValue": null}]}
            ]
        }})
    }

    #[test]
    fn prints_sdl_from_introspection() {
        let sdl = to_sdl(&introspection()).unwrap();
        let expected = r#"schema {
  query: QueriesRoot
}

"Cache it."
directive @cached(ttl: Int!) on FIELD_DEFINITION | OBJECT

type QueriesRoot {
  user(id: ID!): User
}

scalar DateTime

interface Node {
  id: ID!
}

"A person."
type User implements Node {
  id: ID!
  """
  Groups the user is in.
  Paged.
  """
  groups(first: Int = 50, after: String): [Group!]!
  isAdmin: Boolean @deprecated(reason: "Use role.")
}

type Group {
  name(
    "Shout it."
    upper: Boolean = false
  ): String
}

enum UserRole {
  ADMIN
  "Gone."
  OLD @deprecated
}

union Principal = User | Group

input UserFilterInput {
  role: [UserRole!]
  limit: Int = 10
}
"#;
        assert_eq!(sdl, expected, "got:\n{sdl}");
    }

    #[test]
    fn conventional_roots_need_no_schema_block_and_bad_answers_are_errors() {
        let mut v = introspection();
        v["__schema"]["queryType"] = json!({"name": "Query"});
        assert!(!to_sdl(&v).unwrap().contains("schema {"));
        assert_eq!(to_sdl(&json!({})).unwrap_err().kind, Kind::BadResponse);
        assert_eq!(to_sdl(&json!({"__schema": {"types": 3}})).unwrap_err().kind, Kind::BadResponse);
    }
}
