//! What the rules need to know about the served schema, read once from its SDL.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::parser::types::{BaseType, InputValueDefinition, Type, TypeKind, TypeSystemDefinition};

/// An argument or input field: its type and whether it has a default.
#[derive(Clone, Debug)]
pub(super) struct Input {
    pub(super) ty: Type,
    pub(super) has_default: bool,
}

/// A field of an object or interface.
#[derive(Clone, Debug)]
pub(super) struct Field {
    pub(super) ty: Type,
    pub(super) args: Vec<(String, Input)>,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    Scalar,
    Enum,
    /// Objects and interfaces: fields, and the object types a value can be.
    Composite {
        fields: Vec<(String, Field)>,
        possible: BTreeSet<String>,
    },
    Union {
        possible: BTreeSet<String>,
    },
    Input {
        fields: Vec<(String, Input)>,
    },
}

pub(super) struct Index {
    pub(super) types: BTreeMap<String, Kind>,
    pub(super) query: String,
    pub(super) mutation: Option<String>,
}

fn inputs(values: &[async_graphql::Positioned<InputValueDefinition>]) -> Vec<(String, Input)> {
    values
        .iter()
        .map(|v| {
            let v = &v.node;
            (v.name.node.to_string(), Input { ty: v.ty.node.clone(), has_default: v.default_value.is_some() })
        })
        .collect()
}

impl Index {
    pub(super) fn new(sdl: &str) -> Index {
        let doc = async_graphql::parser::parse_schema(sdl).expect("the served SDL parses");
        let mut types = BTreeMap::new();
        let mut implements: Vec<(String, String)> = Vec::new();
        let (mut query, mut mutation) = ("QueriesRoot".to_string(), None);
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(s) => {
                    if let Some(q) = &s.node.query {
                        query = q.node.to_string();
                    }
                    mutation = s.node.mutation.as_ref().map(|m| m.node.to_string());
                }
                TypeSystemDefinition::Type(t) => {
                    let name = t.node.name.node.to_string();
                    let fields = |fs: &[async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>]| {
                        fs.iter()
                            .map(|f| {
                                let f = &f.node;
                                (f.name.node.to_string(), Field { ty: f.ty.node.clone(), args: inputs(&f.arguments) })
                            })
                            .collect()
                    };
                    let kind = match &t.node.kind {
                        TypeKind::Scalar => Kind::Scalar,
                        TypeKind::Enum(_) => Kind::Enum,
                        TypeKind::Object(o) => {
                            implements.extend(o.implements.iter().map(|i| (name.clone(), i.node.to_string())));
                            Kind::Composite { fields: fields(&o.fields), possible: BTreeSet::from([name.clone()]) }
                        }
                        TypeKind::Interface(i) => {
                            Kind::Composite { fields: fields(&i.fields), possible: BTreeSet::new() }
                        }
                        TypeKind::Union(u) => {
                            Kind::Union { possible: u.members.iter().map(|m| m.node.to_string()).collect() }
                        }
                        TypeKind::InputObject(i) => Kind::Input { fields: inputs(&i.fields) },
                    };
                    types.insert(name, kind);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            types.entry(builtin.to_string()).or_insert(Kind::Scalar);
        }
        for (object, interface) in implements {
            if let Some(Kind::Composite { possible, .. }) = types.get_mut(&interface) {
                possible.insert(object);
            }
        }
        Index { types, query, mutation }
    }

    /// The fields of an object or interface type.
    pub(super) fn field(&self, type_name: &str, field: &str) -> Option<&Field> {
        match self.types.get(type_name)? {
            Kind::Composite { fields, .. } => fields.iter().find(|(n, _)| n == field).map(|(_, f)| f),
            _ => None,
        }
    }

    pub(super) fn field_names(&self, type_name: &str) -> Vec<&str> {
        match self.types.get(type_name) {
            Some(Kind::Composite { fields, .. }) => fields.iter().map(|(n, _)| n.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The object types a value of `type_name` can be.
    pub(super) fn possible(&self, type_name: &str) -> BTreeSet<String> {
        match self.types.get(type_name) {
            Some(Kind::Composite { possible, .. }) | Some(Kind::Union { possible }) => possible.clone(),
            _ => BTreeSet::new(),
        }
    }

    pub(super) fn is_composite(&self, type_name: &str) -> bool {
        matches!(self.types.get(type_name), Some(Kind::Composite { .. } | Kind::Union { .. }))
    }

    pub(super) fn input_fields(&self, type_name: &str) -> Option<&[(String, Input)]> {
        match self.types.get(type_name)? {
            Kind::Input { fields } => Some(fields),
            _ => None,
        }
    }
}

/// The named type at the bottom of `ty` (`[ID!]!` -> `ID`).
pub(super) fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}
