//! TEMPORARY stand-in until the admin guard lands from the services' branch.
use std::net::SocketAddr;
pub enum Refusal {
    ForeignOrigin(String),
    ForeignHost(String),
    NotJson(String),
}
impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotJson(_) => 415,
            _ => 403,
        }
    }
    pub fn message(&self) -> String {
        match self {
            Refusal::ForeignOrigin(s) | Refusal::ForeignHost(s) | Refusal::NotJson(s) => s.clone(),
        }
    }
}
pub fn check(
    _own: SocketAddr,
    _host: Option<&[u8]>,
    _origin: Option<&[u8]>,
    _content_type: Option<&[u8]>,
    _has_body: bool,
) -> Result<(), Refusal> {
    Ok(())
}
