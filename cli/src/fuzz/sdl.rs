//! `tgctl api schema`: introspection answers printed as SDL.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{any_json, check_error, config, edits, mutate};
use crate::api::introspection::to_sdl;

fn fixture() -> Value {
    let v: Value = serde_json::from_str(include_str!("introspection.json")).unwrap();
    v["data"].clone()
}

/// A type reference wrapped in NON_NULL and LIST, `depth` levels deep.
fn type_ref() -> impl Strategy<Value = Value> {
    let named = prop_oneof![
        Just(json!({"kind": "SCALAR", "name": "String", "ofType": null})),
        Just(json!({"kind": "OBJECT", "name": "Thing", "ofType": null})),
        Just(json!({"kind": "NON_NULL", "name": null, "ofType": null})),
        Just(json!({"kind": "WEIRD", "name": null})),
    ];
    named.prop_recursive(6, 12, 1, |inner| {
        (prop::sample::select(vec!["NON_NULL", "LIST"]), inner)
            .prop_map(|(kind, of)| json!({"kind": kind, "name": null, "ofType": of}))
    })
}

/// A small schema built from pieces: types of every kind with odd names, descriptions and
/// deprecations.
fn synthetic() -> impl Strategy<Value = Value> {
    let text = prop_oneof![Just(Value::Null), ".{0,20}".prop_map(Value::String), Just(json!("a\n\"\"\"b\\"))];
    let field = (".{0,8}", text.clone(), type_ref(), any::<bool>(), text.clone(), prop::collection::vec((".{0,6}", text.clone(), type_ref(), prop::option::of(".{0,6}")), 0..3))
        .prop_map(|(name, description, ty, dep, reason, args)| {
            let args: Vec<Value> = args
                .into_iter()
                .map(|(n, d, t, def)| json!({"name": n, "description": d, "type": t, "defaultValue": def}))
                .collect();
            json!({"name": name, "description": description, "type": ty, "isDeprecated": dep, "deprecationReason": reason, "args": args})
        });
    let kind = prop::sample::select(vec!["OBJECT", "INTERFACE", "INPUT_OBJECT", "ENUM", "UNION", "SCALAR", "LIST", ""]);
    let ty = (kind, ".{0,10}", text, prop::collection::vec(field, 0..4), prop::collection::vec(type_ref(), 0..3)).prop_map(
        |(kind, name, description, fields, refs)| {
            let values: Vec<Value> = fields.iter().map(|f| json!({"name": f["name"], "description": f["description"], "isDeprecated": f["isDeprecated"], "deprecationReason": f["deprecationReason"]})).collect();
            let inputs: Vec<Value> = fields.iter().map(|f| json!({"name": f["name"], "description": f["description"], "type": f["type"], "defaultValue": null})).collect();
            json!({"kind": kind, "name": name, "description": description, "fields": fields, "inputFields": inputs,
                "interfaces": refs, "enumValues": values, "possibleTypes": refs})
        },
    );
    let root =
        prop::option::of(prop::sample::select(vec!["Query", "Mutation", "Root", ""]).prop_map(|n| json!({"name": n})));
    (prop::collection::vec(ty, 0..5), root.clone(), root).prop_map(|(types, q, m)| {
        json!({"__schema": {"queryType": q, "mutationType": m, "subscriptionType": null, "types": types, "directives": []}})
    })
}

#[test]
fn the_fixture_prints_every_type() {
    let data = fixture();
    let sdl = to_sdl(&data).unwrap();
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if !["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            assert!(sdl.contains(name), "{name} missing from\n{sdl}");
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn introspection_answers_print_or_fail_cleanly(changes in edits(), junk in prop::option::of(any_json()), built in synthetic()) {
        for data in [mutate(&fixture(), &changes), junk.unwrap_or(Value::Null), built] {
            match to_sdl(&data) {
                Ok(sdl) => prop_assert!(sdl.ends_with('\n')),
                Err(e) => check_error(&e, &[]),
            }
        }
    }
}
