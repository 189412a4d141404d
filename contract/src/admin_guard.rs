//! Why a web page cannot change the lab: the rule every admin API (A's and
//! B's admin listeners, the dashboard's link API) applies to each request
//! before it reads anything, written once and without I/O.
//!
//! A page the learner visits can make the browser send requests to a loopback
//! port: a "simple" cross-site `POST` with a `text/plain` body needs no
//! preflight, and DNS rebinding makes a page's own host name point at
//! `127.0.0.1`. Both are refused here:
//!
//! - `Host`, when present, must name the listener itself: its IP and port, or
//!   `localhost:PORT` when it listens on loopback (a rebound page's requests
//!   carry the page's host name);
//! - `Origin`, when present, must be `http://` and such a host (`Origin: null`,
//!   sent by sandboxed pages and files, is foreign): browsers send it with every
//!   cross-site request that can change something;
//! - a request with a body must say `content-type: application/json`
//!   (parameters such as `; charset=utf-8` allowed), which no web page can send
//!   to another site without the preflight this API never answers.
//!
//! A listener on an unspecified address (`0.0.0.0`, `[::]`) has no one IP of its
//! own: any IP literal with its port is its own (a rebinding page always uses a
//! name, never an IP), and so is `localhost`.

use std::net::{IpAddr, SocketAddr};

/// Longest header value quoted whole in a refusal's message.
const MAX_QUOTED: usize = 200;

/// Why a request to an admin API is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The `Origin` header names another site: the request comes from a web page.
    ForeignOrigin {
        /// The `Origin` header as sent (lossy text, cut if long).
        origin: String,
        /// The listener's own address.
        listener: SocketAddr,
    },
    /// The `Host` header names another host: a page whose name was rebound to this machine.
    ForeignHost {
        /// The `Host` header as sent (lossy text, cut if long).
        host: String,
        /// The listener's own address.
        listener: SocketAddr,
    },
    /// A body that is not declared `application/json`.
    NotJson {
        /// The `content-type` as sent, `None` when there was none.
        content_type: Option<String>,
    },
}

impl Refusal {
    /// The HTTP status of the refusal: 403 for a foreign origin or host, 415 for a body that is not JSON.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::ForeignOrigin { .. } | Refusal::ForeignHost { .. } => 403,
            Refusal::NotJson { .. } => 415,
        }
    }

    /// A sentence for the person who sent the request: what was refused and what is accepted.
    pub fn message(&self) -> String {
        match self {
            Refusal::ForeignOrigin { origin, listener } => format!(
                "refused: Origin {origin} is not this admin listener ({}); the admin API does not take requests from web pages",
                origin_of(*listener)
            ),
            Refusal::ForeignHost { host, listener } => format!(
                "refused: Host {host} is not this admin listener ({}); a request for another host name is how a web page reaches a local service (DNS rebinding)",
                host_of(*listener)
            ),
            Refusal::NotJson { content_type: Some(content_type) } => {
                format!("refused: the body is {content_type}, not JSON; send it with content-type: application/json")
            }
            Refusal::NotJson { content_type: None } => {
                "refused: the body has no content-type; send it with content-type: application/json".to_owned()
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Checks one request to the admin listener bound at `own`. `host`, `origin`
/// and `content_type` are the raw header values, if present (several values of
/// one header joined with `, `, as HTTP reads them); `has_body` is true when the
/// request has a non-empty body.
pub fn check(
    own: SocketAddr,
    host: Option<&[u8]>,
    origin: Option<&[u8]>,
    content_type: Option<&[u8]>,
    has_body: bool,
) -> Result<(), Refusal> {
    if let Some(host) = host
        && !names_listener(own, host)
    {
        return Err(Refusal::ForeignHost { host: quoted(host), listener: own });
    }
    if let Some(origin) = origin {
        let own_origin = strip_prefix_ignore_case(origin, b"http://").is_some_and(|host| names_listener(own, host));
        if !own_origin {
            return Err(Refusal::ForeignOrigin { origin: quoted(origin), listener: own });
        }
    }
    if has_body && !content_type.is_some_and(is_json) {
        return Err(Refusal::NotJson { content_type: content_type.map(quoted) });
    }
    Ok(())
}

/// `http://` and the listener's own host, as a browser on this machine would name it.
fn origin_of(listener: SocketAddr) -> String {
    format!("http://{}", host_of(listener))
}

/// The listener's address as a `Host` header writes it (`[::1]:9001` for IPv6).
fn host_of(listener: SocketAddr) -> String {
    listener.to_string()
}

/// Whether `host` (`IP:PORT`, `[IPv6]:PORT`, `localhost:PORT`; no port means 80)
/// names the listener at `own`.
fn names_listener(own: SocketAddr, host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else { return false };
    let Some((name, port)) = split_host_port(host) else { return false };
    if port != own.port() {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return own.ip().is_loopback() || own.ip().is_unspecified();
    }
    let ip = match name.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        None => name.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    };
    match ip {
        Some(ip) if own.ip().is_unspecified() => ip.is_ipv4() == own.is_ipv4() || own.is_ipv6(),
        Some(ip) => ip == own.ip(),
        None => false,
    }
}

/// `name` and port of `host`; the port is 80 when absent (HTTP's default).
fn split_host_port(host: &str) -> Option<(&str, u16)> {
    let port_at = if host.starts_with('[') { host.rfind("]:").map(|at| at + 1) } else { host.rfind(':') };
    match port_at {
        Some(at) => {
            let port = &host[at + 1..];
            // `u16::from_str` takes a leading `+`; a port is digits only.
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((&host[..at], port.parse().ok()?))
        }
        None => Some((host, 80)),
    }
}

/// `application/json`, any case, with or without parameters.
fn is_json(content_type: &[u8]) -> bool {
    let essence = content_type.split(|b| *b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(b"application/json")
}

fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// A header value as text for a message: lossy, control characters escaped, cut if long.
fn quoted(value: &[u8]) -> String {
    let mut out = String::new();
    for (count, c) in String::from_utf8_lossy(value).chars().flat_map(char::escape_debug).enumerate() {
        if count == MAX_QUOTED {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn host(own: &str, host: &str) -> Result<(), Refusal> {
        check(addr(own), Some(host.as_bytes()), None, None, false)
    }

    fn origin(own: &str, origin: &str) -> Result<(), Refusal> {
        check(addr(own), None, Some(origin.as_bytes()), None, false)
    }

    fn body(content_type: Option<&str>) -> Result<(), Refusal> {
        check(addr("127.0.0.1:9001"), None, None, content_type.map(str::as_bytes), true)
    }

    #[test]
    fn a_request_without_those_headers_and_body_passes() {
        assert_eq!(check(addr("127.0.0.1:9001"), None, None, None, false), Ok(()));
        assert_eq!(check(addr("127.0.0.1:9001"), None, None, Some(b"text/plain"), false), Ok(()), "no body");
    }

    #[test]
    fn the_host_must_be_the_listener_itself() {
        assert_eq!(host("127.0.0.1:9001", "127.0.0.1:9001"), Ok(()));
        assert_eq!(host("127.0.0.1:9001", "localhost:9001"), Ok(()));
        assert_eq!(host("127.0.0.1:9001", "LocalHost:9001"), Ok(()));
        for foreign in [
            "evil.example",
            "evil.example:9001",
            "127.0.0.1:9002",
            "127.0.0.2:9001",
            "127.0.0.1",
            "127.0.0.1:+9001",
            "",
        ] {
            let refused = host("127.0.0.1:9001", foreign).expect_err(foreign);
            assert_eq!(refused.status(), 403, "{foreign}");
            assert!(matches!(refused, Refusal::ForeignHost { .. }), "{foreign}");
        }
        let message = host("127.0.0.1:9001", "evil.example").unwrap_err().message();
        assert!(
            message.starts_with("refused: Host evil.example is not this admin listener (127.0.0.1:9001)"),
            "{message}"
        );
        assert_eq!(host("127.0.0.1:80", "127.0.0.1"), Ok(()), "no port is port 80");
    }

    #[test]
    fn localhost_is_only_the_listener_when_it_is_on_loopback() {
        assert_eq!(host("192.168.1.5:9001", "192.168.1.5:9001"), Ok(()));
        assert!(host("192.168.1.5:9001", "localhost:9001").is_err());
    }

    #[test]
    fn ipv6_hosts_are_in_brackets() {
        assert_eq!(host("[::1]:9001", "[::1]:9001"), Ok(()));
        assert_eq!(host("[::1]:9001", "[0:0:0:0:0:0:0:1]:9001"), Ok(()), "the same address written out");
        assert_eq!(host("[::1]:9001", "localhost:9001"), Ok(()));
        assert!(host("[::1]:9001", "::1:9001").is_err(), "no brackets");
        assert!(host("[::1]:9001", "[::1]:9002").is_err());
        assert!(host("[::1]:9001", "127.0.0.1:9001").is_err());
        assert_eq!(origin("[::1]:9001", "http://[::1]:9001"), Ok(()));
        let message = origin("[::1]:9001", "http://evil.example").unwrap_err().message();
        assert!(message.contains("(http://[::1]:9001)"), "{message}");
    }

    #[test]
    fn an_unspecified_listener_takes_any_ip_with_its_port_but_no_other_name() {
        assert_eq!(host("0.0.0.0:9001", "10.1.2.3:9001"), Ok(()));
        assert_eq!(host("0.0.0.0:9001", "localhost:9001"), Ok(()));
        assert!(host("0.0.0.0:9001", "rebound.example:9001").is_err());
        assert!(host("0.0.0.0:9001", "10.1.2.3:9002").is_err());
        assert_eq!(host("[::]:9001", "[fe80::1]:9001"), Ok(()));
    }

    #[test]
    fn the_origin_must_be_http_and_the_listener() {
        assert_eq!(origin("127.0.0.1:9001", "http://127.0.0.1:9001"), Ok(()));
        assert_eq!(origin("127.0.0.1:9001", "http://localhost:9001"), Ok(()));
        for foreign in [
            "http://evil.example",
            "null",
            "https://127.0.0.1:9001",
            "http://127.0.0.1:9002",
            "http://127.0.0.1:9001/",
            "127.0.0.1:9001",
            "http://127.0.0.1:9001, http://evil.example",
        ] {
            let refused = origin("127.0.0.1:9001", foreign).expect_err(foreign);
            assert_eq!(refused.status(), 403, "{foreign}");
            assert!(matches!(refused, Refusal::ForeignOrigin { .. }), "{foreign}");
        }
        assert_eq!(
            origin("127.0.0.1:9001", "http://evil.example").unwrap_err().message(),
            "refused: Origin http://evil.example is not this admin listener (http://127.0.0.1:9001); \
             the admin API does not take requests from web pages"
        );
    }

    #[test]
    fn a_body_must_be_declared_json() {
        assert_eq!(body(Some("application/json")), Ok(()));
        assert_eq!(body(Some("application/json; charset=utf-8")), Ok(()));
        assert_eq!(body(Some("Application/JSON;charset=UTF-8")), Ok(()));
        for other in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx"), None] {
            let refused = body(other).expect_err(&format!("{other:?}"));
            assert_eq!(refused.status(), 415);
        }
        let message = body(Some("text/plain")).unwrap_err().message();
        assert!(message.contains("text/plain") && message.contains("content-type: application/json"), "{message}");
        assert!(body(None).unwrap_err().message().contains("no content-type"));
    }

    #[test]
    fn the_host_is_checked_before_the_origin_and_the_body() {
        let refused = check(
            addr("127.0.0.1:9001"),
            Some(b"evil.example"),
            Some(b"http://evil.example"),
            Some(b"text/plain"),
            true,
        );
        assert!(matches!(refused, Err(Refusal::ForeignHost { .. })));
    }

    #[test]
    fn a_hostile_header_is_quoted_readably_and_cut() {
        let message = host("127.0.0.1:9001", "evil\nline").unwrap_err().message();
        assert!(message.contains("evil\\nline") && !message.contains('\n'), "{message}");
        let long = "x".repeat(5000);
        let message = host("127.0.0.1:9001", &long).unwrap_err().message();
        assert!(message.len() < 500 && message.contains('…'), "{}", message.len());
        let refused = check(addr("127.0.0.1:9001"), Some(&[0xff, 0xfe]), None, None, false);
        assert!(matches!(refused, Err(Refusal::ForeignHost { .. })), "not UTF-8");
    }
}
