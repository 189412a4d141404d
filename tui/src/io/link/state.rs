//! What the link is doing now: whether it listens, and its toxics in the
//! order they stack. One immutable snapshot per change, watched by every
//! connection, so a change reaches open connections at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::toxics::{Attributes, Toxic, ToxicType};
use crate::faults::{Stream, ToxicSpec};

/// Why the link refused a change (the API's 400, 404 and 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Invalid(String),
    #[error("toxic not found: {0}")]
    NotFound(String),
    #[error("toxic already exists: {0}")]
    Exists(String),
}

/// One snapshot of the link's settings.
#[derive(Debug, Clone)]
pub struct State {
    /// `false`: the link listens to nothing and cuts what it carried.
    pub enabled: bool,
    /// In the order they were added: they stack in that order on each stream.
    pub toxics: Vec<Arc<Active>>,
}

impl Default for State {
    fn default() -> Self {
        State { enabled: true, toxics: Vec::new() }
    }
}

/// A toxic on the link.
#[derive(Debug)]
pub struct Active {
    /// Unique for the link's life: a connection's draws and memories are keyed by it.
    pub uid: u64,
    pub name: String,
    pub kind: &'static ToxicType,
    pub stream: Stream,
    /// The chance it applies to a request, 0.0 to 1.0.
    pub toxicity: f64,
    pub toxic: Box<dyn Toxic>,
}

impl Active {
    pub fn spec(&self) -> ToxicSpec {
        ToxicSpec {
            name: self.name.clone(),
            kind: self.kind.name.to_owned(),
            stream: self.stream,
            toxicity: self.toxicity,
            attributes: self.toxic.attributes(),
        }
    }

    /// Whether it stops every byte of its stream for sure (a `timeout` at toxicity 1).
    pub fn holds_everything(&self) -> bool {
        self.kind.name == "timeout" && self.toxicity >= 1.0
    }
}

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

impl State {
    pub fn specs(&self) -> Vec<ToxicSpec> {
        self.toxics.iter().map(|active| active.spec()).collect()
    }

    pub fn find(&self, name: &str) -> Option<&Arc<Active>> {
        self.toxics.iter().find(|active| active.name == name)
    }

    /// The toxics of one direction, in stacking order.
    pub fn on(&self, stream: Stream) -> impl Iterator<Item = &Arc<Active>> {
        self.toxics.iter().filter(move |active| active.stream == stream)
    }

    /// Adds a toxic read from the API's JSON (`name`, `stream` and `toxicity` optional).
    pub fn add(&mut self, spec: &Value) -> Result<ToxicSpec, LinkError> {
        let active = build(spec)?;
        if self.find(&active.name).is_some() {
            return Err(LinkError::Exists(active.name));
        }
        let shown = active.spec();
        self.toxics.push(Arc::new(active));
        Ok(shown)
    }

    /// Changes a toxic's attributes (and its toxicity, if given); the rest stays.
    pub fn update(&mut self, name: &str, change: &Value) -> Result<ToxicSpec, LinkError> {
        let Some(at) = self.toxics.iter().position(|active| active.name == name) else {
            return Err(LinkError::NotFound(name.to_owned()));
        };
        let Value::Object(change) = change else {
            return Err(LinkError::Invalid("send a JSON object, e.g. {\"attributes\": {\"latency\": 500}}".into()));
        };
        let old = &self.toxics[at];
        // What a GET gave may be sent back; what cannot change must stay as it is.
        let shown = old.spec();
        for (key, value) in change {
            let same = match key.as_str() {
                "attributes" | "toxicity" => true,
                "name" => value.as_str() == Some(shown.name.as_str()),
                "type" => value.as_str() == Some(shown.kind.as_str()),
                "stream" => value.as_str() == Some(shown.stream.name()),
                other => return Err(LinkError::Invalid(format!("a toxic has no field {other:?}"))),
            };
            if !same {
                return Err(LinkError::Invalid(format!(
                    "a toxic's {key} cannot change (remove it and add another); only attributes and toxicity can"
                )));
            }
        }
        let given = match change.get("attributes") {
            None => Map::new(),
            Some(Value::Object(given)) => given.clone(),
            Some(other) => return Err(LinkError::Invalid(format!("attributes must be an object, got {other}"))),
        };
        let base =
            old.kind.attributes_from(&Attributes::default(), &old.toxic.attributes()).map_err(LinkError::Invalid)?;
        let attributes = old.kind.attributes_from(&base, &given).map_err(LinkError::Invalid)?;
        let toxicity = match change.get("toxicity") {
            None => old.toxicity,
            Some(value) => toxicity(value)?,
        };
        let updated = Active {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            name: old.name.clone(),
            kind: old.kind,
            stream: old.stream,
            toxicity,
            toxic: (old.kind.build)(&attributes).map_err(LinkError::Invalid)?,
        };
        let shown = updated.spec();
        self.toxics[at] = Arc::new(updated);
        Ok(shown)
    }

    pub fn remove(&mut self, name: &str) -> Result<(), LinkError> {
        let before = self.toxics.len();
        self.toxics.retain(|active| active.name != name);
        if self.toxics.len() == before { Err(LinkError::NotFound(name.to_owned())) } else { Ok(()) }
    }

    /// Replaces every toxic with `specs` (a preset): all of them or none.
    pub fn replace(&mut self, specs: &[ToxicSpec]) -> Result<(), LinkError> {
        let mut next = State { enabled: true, toxics: Vec::new() };
        for spec in specs {
            let value = serde_json::to_value(spec).map_err(|error| LinkError::Invalid(error.to_string()))?;
            next.add(&value)?;
        }
        *self = next;
        Ok(())
    }
}

fn toxicity(value: &Value) -> Result<f64, LinkError> {
    value
        .as_f64()
        .filter(|chance| (0.0..=1.0).contains(chance))
        .ok_or_else(|| LinkError::Invalid(format!("toxicity must be a number from 0.0 to 1.0, got {value}")))
}

/// Reads one toxic of the API: `{"name"?, "type", "stream"?, "toxicity"?, "attributes"?}`.
fn build(spec: &Value) -> Result<Active, LinkError> {
    let invalid = |text: String| LinkError::Invalid(text);
    let Value::Object(spec) = spec else {
        return Err(invalid(
            "send a JSON object, e.g. {\"type\": \"latency\", \"attributes\": {\"latency\": 300}}".into(),
        ));
    };
    const KNOWN: [&str; 5] = ["name", "type", "stream", "toxicity", "attributes"];
    if let Some(unknown) = spec.keys().find(|key| !KNOWN.contains(&key.as_str())) {
        return Err(invalid(format!("a toxic has no field {unknown:?} (it has: {})", KNOWN.join(", "))));
    }
    let names: Vec<&str> = super::toxics::TYPES.iter().map(|kind| kind.name).collect();
    let kind = match spec.get("type") {
        Some(Value::String(name)) => ToxicType::named(name)
            .ok_or_else(|| invalid(format!("unknown toxic type {name:?} (known: {})", names.join(", "))))?,
        _ => return Err(invalid(format!("a toxic needs a \"type\" (one of: {})", names.join(", ")))),
    };
    let stream = match spec.get("stream") {
        None => Stream::Downstream,
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|_| invalid(format!("stream must be \"upstream\" or \"downstream\", got {value}")))?,
    };
    let name = match spec.get("name") {
        None | Some(Value::Null) => format!("{}_{}", kind.name, stream.name()),
        Some(Value::String(name))
            if (1..=64).contains(&name.chars().count()) && !name.contains('/') && name != "." && name != ".." =>
        {
            name.clone()
        }
        Some(other) => {
            return Err(invalid(format!("name must be 1 to 64 characters, not '.' or '..', without '/'; got {other}")));
        }
    };
    let toxicity = spec.get("toxicity").map_or(Ok(1.0), toxicity)?;
    let given = match spec.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(given)) => given.clone(),
        Some(other) => return Err(invalid(format!("attributes must be an object, got {other}"))),
    };
    let attributes = kind.attributes_from(&Attributes::default(), &given).map_err(invalid)?;
    let toxic = (kind.build)(&attributes).map_err(invalid)?;
    Ok(Active { uid: NEXT_UID.fetch_add(1, Ordering::Relaxed), name, kind, stream, toxicity, toxic })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_toxic_is_named_and_defaulted_as_toxiproxy_does() {
        let mut state = State::default();
        let added = state.add(&json!({"type": "latency", "attributes": {"latency": 300}})).unwrap();
        assert_eq!(added.name, "latency_downstream");
        assert_eq!((added.stream, added.toxicity), (Stream::Downstream, 1.0));
        assert_eq!(added.attributes, *json!({"latency": 300, "jitter": 0}).as_object().unwrap());
        assert_eq!(state.add(&json!({"type": "latency"})).unwrap_err(), LinkError::Exists("latency_downstream".into()));
    }

    #[test]
    fn bad_toxics_say_what_is_wrong() {
        let mut state = State::default();
        for (spec, says) in [
            (json!({"type": "lag"}), "unknown toxic type \"lag\""),
            (json!({}), "needs a \"type\""),
            (json!({"type": "timeout", "stream": "sideways"}), "stream must be"),
            (json!({"type": "timeout", "toxicity": 1.5}), "toxicity must be a number from 0.0 to 1.0"),
            (json!({"type": "timeout", "attributes": {"timeout": "soon"}}), "whole number"),
            (json!({"type": "timeout", "colour": "red"}), "no field \"colour\""),
            (json!([1]), "send a JSON object"),
            (json!({"type": "timeout", "name": ".."}), "not '.' or '..'"),
            (json!({"type": "timeout", "name": "é".repeat(65)}), "1 to 64 characters"),
        ] {
            let error = state.add(&spec).unwrap_err().to_string();
            assert!(error.contains(says), "{spec}: {error}");
        }
        assert!(state.toxics.is_empty(), "nothing added");
    }

    #[test]
    fn an_update_changes_the_given_attributes_and_keeps_the_rest() {
        let mut state = State::default();
        state.add(&json!({"type": "latency", "attributes": {"latency": 300, "jitter": 50}})).unwrap();
        let updated = state.update("latency_downstream", &json!({"attributes": {"latency": 900}})).unwrap();
        assert_eq!(updated.attributes, *json!({"latency": 900, "jitter": 50}).as_object().unwrap());
        assert_eq!(state.update("nope", &json!({})).unwrap_err(), LinkError::NotFound("nope".into()));
        let moved = state.update("latency_downstream", &json!({"stream": "upstream"})).unwrap_err();
        assert!(moved.to_string().contains("stream cannot change"), "{moved}");
        let unknown = state.update("latency_downstream", &json!({"colour": "red"})).unwrap_err();
        assert!(unknown.to_string().contains("no field \"colour\""), "{unknown}");
        let back = json!({"name": "latency_downstream", "type": "latency", "stream": "downstream", "attributes": {"jitter": 1}});
        assert!(state.update("latency_downstream", &back).is_ok(), "a GET sent back is taken");
        state.remove("latency_downstream").unwrap();
        assert!(state.remove("latency_downstream").is_err());
    }

    #[test]
    fn a_preset_replaces_every_toxic_or_none() {
        let mut state = State::default();
        state.add(&json!({"type": "latency"})).unwrap();
        let bad = [
            ToxicSpec::new("timeout", Stream::Upstream, 1.0, &[("timeout", 0)]),
            ToxicSpec::new("nope", Stream::Upstream, 1.0, &[]),
        ];
        assert!(state.replace(&bad).is_err());
        assert_eq!(state.toxics.len(), 1, "unchanged");
        state.replace(&bad[..1]).unwrap();
        assert_eq!(state.specs(), bad[..1]);
    }
}
