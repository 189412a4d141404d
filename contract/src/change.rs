//! Reading the body of an admin `PUT` (B's `/policy`, A's `/faults` and
//! `/policy`) the same way everywhere: a JSON object of the settings to change,
//! unknown fields refused so a typo never passes silently, and the fields that
//! `GET` shows but nobody can set (such as `breaker_state`) ignored, so that
//! GET, edit, PUT works: every `PUT` accepts exactly what its `GET` answers.

use serde::de::DeserializeOwned;

/// Reads `body` as the change `T`. `read_only` names the fields of the `GET`
/// answer that are not settings (dropped before reading); `what` and `example`
/// make the `400`'s message (`not a policy change: ...; send e.g. {...}`).
pub fn parse_change<T: DeserializeOwned>(
    body: &[u8],
    read_only: &[&str],
    what: &str,
    example: &str,
) -> Result<T, String> {
    let value = serde_json::from_slice::<serde_json::Value>(body)
        .map_err(|why| format!("not {what}: {why}; send e.g. {example}"))?;
    // An object only: serde would also read `[1500, 2, true, true]` by position.
    let serde_json::Value::Object(mut fields) = value else {
        return Err(format!("not {what}: send a JSON object, e.g. {example}"));
    };
    for field in read_only {
        fields.remove(*field);
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|why| format!("not {what}: {why}; send e.g. {example}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Change {
        #[serde(default)]
        n: Option<u32>,
    }

    fn parse(body: &str) -> Result<Change, String> {
        parse_change(body.as_bytes(), &["shown"], "a change", "{\"n\": 1}")
    }

    #[test]
    fn an_object_of_known_fields_is_read_and_read_only_fields_are_ignored() {
        assert_eq!(parse(r#"{"n": 2}"#), Ok(Change { n: Some(2) }));
        assert_eq!(parse(r#"{"n": 2, "shown": "anything"}"#), Ok(Change { n: Some(2) }));
        assert_eq!(parse("{}"), Ok(Change { n: None }));
    }

    #[test]
    fn anything_else_says_what_is_wrong_and_what_to_send() {
        for (body, why) in [
            ("{not json", "not a change: key must be a string"),
            ("[1]", "not a change: send a JSON object, e.g. {\"n\": 1}"),
            ("3", "send a JSON object"),
            (r#"{"m": 1}"#, "unknown field `m`, expected `n`"),
            (r#"{"n": -1}"#, "send e.g. {\"n\": 1}"),
            ("", "not a change: EOF"),
        ] {
            let error = parse(body).unwrap_err();
            assert!(error.contains(why), "{body}: {error}");
        }
    }
}
