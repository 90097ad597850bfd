//! The `DateTime` scalar.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use jiff::Timestamp;

use crate::model::format_ts;

/// ISO-8601 date and time with an offset, e.g. 2024-02-15T01:13:51.059028+00:00.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DateTime(pub(crate) Timestamp);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.trim().parse::<Timestamp>().map(DateTime).map_err(|e| {
                InputValueError::custom(format!("invalid DateTime '{s}' (expected RFC 3339 with an offset): {e}"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_ts(self.0))
    }
}

pub(crate) fn dt(ts: Timestamp) -> DateTime {
    DateTime(ts)
}
