//! One mutation = one arguments struct.
//!
//! A mutation such as `resourceCreate` takes up to seventeen arguments. Instead of a resolver with
//! one Rust parameter per argument, each mutation is an `#[derive(InputObject)]` struct whose
//! fields are its arguments (names, types, nullability and defaults come from the derive) and
//! which implements [`Mutation`]. [`MutationField`] turns it into an object type with that one
//! field, and the noun's `MergedObject` joins them into `MutationsRoot`. The struct's own input
//! type is only a carrier: nothing refers to it, so the schema drops it and the SDL shows plain
//! arguments.
//!
//! Reading the arguments keeps the GraphQL spec's distinction between an omitted argument and an
//! explicit null, which async-graphql loses for variables: an argument (or input field, at any
//! depth) bound to a variable the request did not send, and that has no default, is omitted,
//! not null (spec, "Coercing Field Arguments" and "Input Coercion" of input objects). So a
//! `MaybeUndefined` field of the struct is `Undefined` exactly when the client left it out.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Field;
use async_graphql::registry::{MetaField, MetaType, MetaTypeId, Registry};
use async_graphql::resolver_utils::{ContainerType, resolve_container};
use async_graphql::{
    Context, ContextSelectionSet, InputObjectType, InputType, Name, ObjectType, OutputType, Positioned, ServerResult,
    Value,
};

/// A mutation: its arguments are the fields of `Self` (an `InputObject`).
pub(crate) trait Mutation: InputObjectType + Send + Sync + Sized + 'static {
    /// The field's name on `MutationsRoot`, e.g. `resourceCreate`.
    const NAME: &'static str;
    /// The field's description in the schema.
    const DESCRIPTION: Option<&'static str> = None;
    /// What the field returns: the `{ok, error, entity}` payload.
    type Payload: OutputType;
    /// Apply the mutation.
    fn run(self, ctx: &Context<'_>) -> impl Future<Output = async_graphql::Result<Self::Payload>> + Send;
}

/// An object type with the single field `M::NAME`, whose arguments are `M`'s fields.
pub(crate) struct MutationField<M>(PhantomData<fn() -> M>);

impl<M> Default for MutationField<M> {
    fn default() -> Self {
        MutationField(PhantomData)
    }
}

impl<M: Mutation> OutputType for MutationField<M> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Field", M::type_name()))
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_output_type::<Self, _>(MetaTypeId::Object, |registry| {
            <M as InputType>::create_type_info(registry);
            let args = match registry.types.get(&*<M as InputType>::type_name()) {
                Some(MetaType::InputObject { input_fields, .. }) => input_fields.clone(),
                _ => IndexMap::new(),
            };
            let field = MetaField {
                name: M::NAME.to_string(),
                description: M::DESCRIPTION.map(str::to_string),
                args,
                ty: <M::Payload as OutputType>::create_type_info(registry),
                deprecation: Default::default(),
                cache_control: Default::default(),
                external: false,
                requires: None,
                provides: None,
                visible: None,
                shareable: false,
                inaccessible: false,
                tags: Vec::new(),
                override_from: None,
                compute_complexity: None,
                directive_invocations: Vec::new(),
                requires_scopes: Vec::new(),
            };
            MetaType::Object {
                name: Self::type_name().into_owned(),
                description: None,
                fields: IndexMap::from([(M::NAME.to_string(), field)]),
                cache_control: Default::default(),
                extends: false,
                shareable: false,
                resolvable: true,
                keys: None,
                visible: None,
                inaccessible: false,
                interface_object: false,
                tags: Vec::new(),
                is_subscription: false,
                rust_typename: Some(std::any::type_name::<Self>()),
                directive_invocations: Vec::new(),
                requires_scopes: Vec::new(),
            }
        })
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve_container(ctx, self).await
    }
}

impl<M: Mutation> ContainerType for MutationField<M> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        if ctx.item.node.name.node != M::NAME {
            return Ok(None);
        }
        let args = M::parse(Some(arguments(ctx))).map_err(|e| ctx.set_error_path(e.into_server_error(ctx.item.pos)))?;
        let payload = args.run(ctx).await.map_err(|e| ctx.set_error_path(e.into_server_error(ctx.item.pos)))?;
        let selection = ctx.with_selection_set(&ctx.item.node.selection_set);
        OutputType::resolve(&payload, &selection, ctx.item).await.map(Some)
    }
}

impl<M: Mutation> ObjectType for MutationField<M> {}

/// The field's arguments as one object, with omitted ones (see the module comment) left out.
fn arguments(ctx: &Context<'_>) -> Value {
    let mut map = IndexMap::new();
    for (name, value) in &ctx.item.node.arguments {
        if let Some(v) = present(ctx, &value.node) {
            map.insert(name.node.clone(), v);
        }
    }
    Value::Object(map)
}

/// `value` with variables replaced by what the request sent; `None` when it is a variable the
/// request did not send and that has no default. Input object fields that are such variables are
/// left out of the object; list items become null (spec, "Input Coercion" of lists).
fn present(ctx: &Context<'_>, value: &async_graphql_value::Value) -> Option<Value> {
    use async_graphql_value::Value as V;
    match value {
        V::Variable(name) => variable(ctx, name),
        V::List(items) => Some(Value::List(items.iter().map(|i| present(ctx, i).unwrap_or(Value::Null)).collect())),
        V::Object(fields) => {
            Some(Value::Object(fields.iter().filter_map(|(k, v)| present(ctx, v).map(|v| (k.clone(), v))).collect()))
        }
        V::Null => Some(Value::Null),
        V::Number(n) => Some(Value::Number(n.clone())),
        V::String(s) => Some(Value::String(s.clone())),
        V::Boolean(b) => Some(Value::Boolean(*b)),
        V::Binary(b) => Some(Value::Binary(b.clone())),
        V::Enum(e) => Some(Value::Enum(e.clone())),
    }
}

fn variable(ctx: &Context<'_>, name: &Name) -> Option<Value> {
    let env = &ctx.query_env;
    if let Some(v) = env.variables.get(name) {
        return Some(v.clone());
    }
    env.operation
        .node
        .variable_definitions
        .iter()
        .find(|d| d.node.name.node == *name)
        // The declared default only: `default_value()` would also turn a nullable variable's
        // absence into null, which is exactly the distinction kept here.
        .and_then(|d| d.node.default_value.as_ref().map(|v| v.node.clone()))
}
