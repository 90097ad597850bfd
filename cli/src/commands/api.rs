//! `tgctl api`: any GraphQL document, with typed variables like `gh api graphql`, optional
//! pagination over the connection in the result, and `tgctl api schema` (the live schema as SDL).

use std::io::Read;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Ctx;
use crate::api::introspection;
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Format, Tabular};

const EXAMPLES: &str = "Examples:
  tgctl api 'query { remoteNetworks(first: 5) { edges { node { id name } } } }'
  tgctl api -f query.graphql -F first=50 -F active=true -f name=prod
  echo 'mutation($id: ID!) { deviceArchive(id: $id) { ok error } }' | tgctl api - -f id=RGV2aWNlOjE=

  # Every user, page by page (the query must declare $endCursor: String and pass it as `after`)
  tgctl api --paginate -o ndjson 'query($endCursor: String) {
    users(first: 100, after: $endCursor) {
      pageInfo { hasNextPage endCursor }
      edges { node { id email role } }
    }
  }'

  tgctl api schema > twingate.graphql

Variables: -F NAME=VALUE is typed (true, false, null, integers, floats, JSON objects and lists,
@FILE for a file's text, @- for stdin; anything else is a string); -f NAME=VALUE is always a string.
`-f FILE` (no `=`) reads the document from FILE, as do `@FILE` and `-` (stdin) in place of the text.
The answer's `data` is printed as JSON; errors map to the usual exit codes (`tgctl help exit-codes`).
With --paginate, the nodes of every page are printed as one JSON array (or one per line with
-o ndjson, or their IDs with -o id).";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, after_help = EXAMPLES)]
pub(crate) struct ApiArgs {
    #[command(subcommand)]
    pub(crate) command: Option<ApiCommand>,
    /// The GraphQL document: its text, `-` for stdin, or @FILE
    #[arg(value_name = "QUERY")]
    pub(crate) query: Option<String>,
    /// A typed variable NAME=VALUE (see below); repeatable
    #[arg(short = 'F', long = "field", value_name = "NAME=VALUE")]
    pub(crate) fields: Vec<String>,
    /// A string variable NAME=VALUE; or FILE (no `=`) to read the document from; repeatable
    #[arg(short = 'f', long = "raw-field", value_name = "NAME=VALUE|FILE")]
    pub(crate) raw_fields: Vec<String>,
    /// The operation to run when the document has several
    #[arg(long, value_name = "NAME")]
    pub(crate) operation_name: Option<String>,
    /// Follow the connection in the result while pageInfo.hasNextPage, printing every page's nodes
    #[arg(long)]
    pub(crate) paginate: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApiCommand {
    /// Print the live schema as SDL, by introspection
    #[command(after_help = "Examples:
  tgctl api schema
  tgctl api schema > twingate.graphql && diff twingate.graphql cli/graphql/schema.graphql")]
    Schema,
}

pub(crate) async fn run(ctx: &Ctx, args: ApiArgs) -> Result<()> {
    match args.command {
        Some(ApiCommand::Schema) => schema(ctx).await,
        None => document(ctx, args).await,
    }
}

async fn schema(ctx: &Ctx) -> Result<()> {
    let client = ctx.client()?;
    let data =
        client.post_document(introspection::QUERY, Value::Object(Map::new()), Some("IntrospectionQuery")).await?;
    ctx.printer.raw(&introspection::to_sdl(&data)?)
}

/// A variable's value from `-F`: typed like gh, plus JSON objects and lists.
#[derive(Debug, PartialEq)]
pub(crate) enum FieldValue {
    Value(Value),
    /// `@path`: the file's text (`@-`: stdin).
    File(String),
}

pub(crate) fn typed_value(text: &str) -> FieldValue {
    if let Some(path) = text.strip_prefix('@') {
        return FieldValue::File(path.to_owned());
    }
    let v = match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::from(i)
            } else if let Some(f) = text.parse::<f64>().ok().filter(|f| f.is_finite() && text.contains(['.', 'e', 'E']))
            {
                Value::from(f)
            } else if text.starts_with(['{', '[']) {
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
            } else {
                Value::String(text.to_owned())
            }
        }
    };
    FieldValue::Value(v)
}

/// `NAME=VALUE` with NAME a GraphQL name.
pub(crate) fn split_field(text: &str, flag: &str) -> Result<(String, String)> {
    let (name, value) =
        text.split_once('=').ok_or_else(|| Error::usage(format!("{flag} {text:?} is not NAME=VALUE")))?;
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(
            Error::usage(format!("{name:?} is not a GraphQL variable name")).hint("names are letters, digits and _")
        );
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn read_source(path: &str, what: &str) -> Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| Error::io("reading stdin", &e))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {what} {path}"), &e))
}

/// The document and variables the flags describe.
fn request(args: &ApiArgs) -> Result<(String, Map<String, Value>)> {
    let mut documents: Vec<String> = Vec::new();
    if let Some(q) = &args.query {
        documents.push(match q.as_str() {
            "-" => read_source("-", "the document")?,
            _ => match q.strip_prefix('@') {
                Some(path) => read_source(path, "the document")?,
                None => q.clone(),
            },
        });
    }
    let mut vars = Map::new();
    let set = |name: String, value: Value, vars: &mut Map<String, Value>| -> Result<()> {
        if vars.insert(name.clone(), value).is_some() {
            return Err(Error::usage(format!("the variable {name:?} is given twice")));
        }
        Ok(())
    };
    for raw in &args.raw_fields {
        if !raw.contains('=') {
            documents.push(read_source(raw, "the document")?);
            continue;
        }
        let (name, value) = split_field(raw, "-f")?;
        if name == "query" {
            documents.push(value);
        } else {
            set(name, Value::String(value), &mut vars)?;
        }
    }
    for field in &args.fields {
        let (name, text) = split_field(field, "-F")?;
        let value = match typed_value(&text) {
            FieldValue::Value(v) => v,
            FieldValue::File(path) => Value::String(read_source(&path, "the variable's file")?),
        };
        if name == "query" {
            documents.push(value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string()));
        } else {
            set(name, value, &mut vars)?;
        }
    }
    match documents.len() {
        0 => Err(Error::usage("no GraphQL document").hint("pass it as an argument, `-` for stdin, or -f FILE")),
        1 if documents[0].trim().is_empty() => Err(Error::usage("the GraphQL document is empty")),
        1 => Ok((documents.remove(0), vars)),
        _ => Err(Error::usage("more than one GraphQL document was given")),
    }
}

/// Where the connection is in `data`: the path to the first object with `pageInfo`
/// (`hasNextPage`, `endCursor`) and `edges` or `nodes`.
fn find_connection(value: &Value, path: &mut Vec<String>) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    let is_conn = map.get("pageInfo").is_some_and(|p| p.get("hasNextPage").is_some() && p.get("endCursor").is_some())
        && (map.get("edges").is_some_and(Value::is_array) || map.get("nodes").is_some_and(Value::is_array));
    if is_conn {
        return true;
    }
    for (k, v) in map {
        path.push(k.clone());
        if find_connection(v, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// The nodes of the connection at `path`, its end cursor and whether there is a next page.
fn page_at(data: &Value, path: &[String]) -> Result<(Vec<Value>, Option<String>, bool)> {
    let mut conn = data;
    for key in path {
        conn = conn.get(key).ok_or_else(|| {
            Error::new(Kind::BadResponse, format!("the connection at {} is missing from a later page", path.join(".")))
        })?;
    }
    let nodes = match conn.get("edges").and_then(Value::as_array) {
        Some(edges) => edges.iter().map(|e| e.get("node").cloned().unwrap_or(Value::Null)).collect(),
        None => conn.get("nodes").and_then(Value::as_array).cloned().unwrap_or_default(),
    };
    let info = &conn["pageInfo"];
    Ok((nodes, info["endCursor"].as_str().map(str::to_owned), info["hasNextPage"].as_bool().unwrap_or(false)))
}

/// One node of a paginated result.
#[derive(Serialize)]
#[serde(transparent)]
struct RawNode(Value);

impl Tabular for RawNode {
    fn headers() -> &'static [&'static str] {
        &["node"]
    }
    fn cells(&self, _: &Fmt) -> Vec<String> {
        vec![self.0.to_string()]
    }
    fn id(&self) -> &str {
        self.0.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

async fn document(ctx: &Ctx, args: ApiArgs) -> Result<()> {
    let (query, mut vars) = request(&args)?;
    if args.paginate && !query.contains("$endCursor") {
        return Err(Error::usage("--paginate needs the query to declare $endCursor: String")
            .hint("declare it, e.g. query($endCursor: String), and pass it as the connection's `after: $endCursor`"));
    }
    let client = ctx.client()?;
    let op = args.operation_name.as_deref();
    if !args.paginate {
        let data = client.post_document(&query, Value::Object(vars), op).await?;
        return ctx.printer.json(&data);
    }
    if query.contains("$first") && !vars.contains_key("first") {
        vars.insert("first".into(), Value::from(crate::api::paginate::PAGE_SIZE));
    }
    let format = match ctx.printer.format() {
        Format::Ndjson => Format::Ndjson,
        Format::Id => Format::Id,
        Format::Json | Format::Table => Format::Json,
    };
    let mut out = ctx.printer.list_as::<RawNode>(format);
    let mut path: Option<Vec<String>> = None;
    loop {
        let data = client.post_document(&query, Value::Object(vars.clone()), op).await?;
        let path = match &path {
            Some(p) => p.clone(),
            None => {
                let mut found = Vec::new();
                if !find_connection(&data, &mut found) {
                    return Err(Error::usage("--paginate found no connection in the result").hint(
                        "select pageInfo { hasNextPage endCursor } and edges { node { ... } } (or nodes) of one connection",
                    ));
                }
                path = Some(found.clone());
                found
            }
        };
        let (nodes, end_cursor, more) = page_at(&data, &path)?;
        out.push_page(nodes.into_iter().map(RawNode).collect())?;
        if !more {
            break;
        }
        match end_cursor {
            Some(c) if vars.get("endCursor").and_then(Value::as_str) != Some(c.as_str()) => {
                vars.insert("endCursor".into(), Value::String(c));
            }
            _ => {
                return Err(Error::new(Kind::BadResponse, "the API said there are more pages but gave no new cursor")
                    .hint("does the query pass $endCursor as the connection's `after`?"));
            }
        }
    }
    out.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn typed_fields_follow_gh() {
        let v = |t: &str| match typed_value(t) {
            FieldValue::Value(v) => v,
            FieldValue::File(p) => panic!("file {p}"),
        };
        assert_eq!(v("true"), json!(true));
        assert_eq!(v("false"), json!(false));
        assert_eq!(v("null"), Value::Null);
        assert_eq!(v("42"), json!(42));
        assert_eq!(v("-7"), json!(-7));
        assert_eq!(v("1.5"), json!(1.5));
        assert_eq!(v("1e3"), json!(1000.0));
        assert_eq!(v("inf"), json!("inf"));
        assert_eq!(v("NaN"), json!("NaN"));
        assert_eq!(v("0x10"), json!("0x10"));
        assert_eq!(v("prod"), json!("prod"));
        assert_eq!(v(""), json!(""));
        assert_eq!(v(r#"{"name":{"eq":"x"}}"#), json!({"name": {"eq": "x"}}));
        assert_eq!(v("[1,2]"), json!([1, 2]));
        assert_eq!(v("[not json"), json!("[not json"));
        assert_eq!(typed_value("@q.graphql"), FieldValue::File("q.graphql".into()));
        assert_eq!(split_field("a=b=c", "-F").unwrap(), ("a".into(), "b=c".into()));
        assert!(split_field("1a=b", "-F").is_err());
        assert!(split_field("nope", "-F").is_err());
    }

    #[test]
    fn requests_take_the_document_from_one_place() {
        let args = |query: Option<&str>, raw: &[&str], typed: &[&str]| ApiArgs {
            command: None,
            query: query.map(str::to_owned),
            fields: typed.iter().map(|s| s.to_string()).collect(),
            raw_fields: raw.iter().map(|s| s.to_string()).collect(),
            operation_name: None,
            paginate: false,
        };
        let (q, v) = request(&args(Some("{ a }"), &["name=prod", "n=5"], &["n2=5", "on=true"])).unwrap();
        assert_eq!(q, "{ a }");
        assert_eq!(Value::Object(v), json!({"name": "prod", "n": "5", "n2": 5, "on": true}));
        let (q, _) = request(&args(None, &["query=query { b }"], &[])).unwrap();
        assert_eq!(q, "query { b }");
        assert!(request(&args(None, &[], &[])).unwrap_err().message.contains("no GraphQL document"));
        assert!(request(&args(Some("{ a }"), &["query={ b }"], &[])).is_err());
        assert!(request(&args(Some("{ a }"), &["x=1"], &["x=2"])).unwrap_err().message.contains("twice"));
        assert_eq!(request(&args(None, &["/nonexistent/q.graphql"], &[])).unwrap_err().kind, Kind::Io);
    }

    #[test]
    fn finds_the_connection_and_its_page() {
        let data = json!({"viewer": {"name": "x"}, "users": {
            "pageInfo": {"hasNextPage": true, "endCursor": "c2"},
            "edges": [{"node": {"id": "1"}}, {"node": {"id": "2"}}]
        }});
        let mut path = Vec::new();
        assert!(find_connection(&data, &mut path));
        assert_eq!(path, vec!["users"]);
        let (nodes, cursor, more) = page_at(&data, &path).unwrap();
        assert_eq!((nodes.len(), cursor.as_deref(), more), (2, Some("c2"), true));
        let nested = json!({"group": {"users": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": [{"id": "a"}]}}});
        let mut path = Vec::new();
        assert!(find_connection(&nested, &mut path));
        assert_eq!(path, vec!["group", "users"]);
        assert_eq!(page_at(&nested, &path).unwrap().0, vec![json!({"id": "a"})]);
        assert!(!find_connection(&json!({"a": 1}), &mut Vec::new()));
    }
}
