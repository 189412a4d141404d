//! An external link (`tui link` on B's host, or a real toxiproxy), driven
//! through its toxiproxy API (`--link-api URL`): the dashboard keeps its own
//! [`Link`] as the state the keys change, and this task makes the external
//! one the same after each change (`POST /reset`, then each toxic, then
//! `enabled`), and shows what the external one says it holds.

use std::time::Duration;

use reqwest::{Method, Url};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Link;
use super::api::PROXY;
use crate::faults::ToxicSpec;
use crate::io::http::Client;
use crate::msg::{Event, LinkCounters, LinkReport};

/// How often the external link's state is read back.
const READ_BACK: Duration = Duration::from_secs(1);

/// What the external link's `GET /proxies/{PROXY}` says.
#[derive(Debug, serde::Deserialize)]
struct Proxy {
    /// Where the external link listens for B.
    #[serde(default)]
    listen: Option<String>,
    enabled: bool,
    #[serde(default)]
    toxics: Vec<ToxicSpec>,
}

/// Mirrors `link`'s state to the toxiproxy API at `api` until the screen is
/// gone; its answers (and failures) go to the screen as `events`.
pub async fn mirror(link: Link, api: Url, client: Client, events: mpsc::Sender<Event>) {
    let mut changes = link.shared.state.subscribe();
    let mut read_back = tokio::time::interval(READ_BACK);
    let mut pushed: Option<(bool, Vec<ToxicSpec>)> = None;
    let mut answering: Option<bool> = None;
    let mut listening: Option<String> = None;
    loop {
        let wanted = (link.enabled(), link.toxics());
        let same = pushed.as_ref().is_some_and(|(enabled, toxics)| {
            *enabled == wanted.0
                && toxics.len() == wanted.1.len()
                && toxics.iter().zip(&wanted.1).all(|(a, b)| a.same_effect(b))
        });
        let held = if same { Ok(()) } else { push(&client, &api, wanted.0, &wanted.1).await };
        let event = match held {
            Ok(()) => {
                pushed = Some(wanted.clone());
                Event::LinkMirrored { enabled: wanted.0, toxics: wanted.1 }
            }
            Err(why) => Event::Note(format!("the external link at {api} refused the change: {why}")),
        };
        if events.send(event).await.is_err() {
            return;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = read_back.tick() => {
                let seen = client.admin_get::<Proxy>(&api, &format!("proxies/{PROXY}")).await;
                let mut said = Vec::new();
                if answering != Some(seen.is_ok()) {
                    answering = Some(seen.is_ok());
                    said.push(Event::LinkApi(match &seen {
                        Ok(_) => Ok(format!("{api} (an external link)")),
                        Err(why) => Err(format!("the external link at {api}: {why}")),
                    }));
                }
                if let Ok(proxy) = seen {
                    if proxy.listen.is_some() && proxy.listen != listening {
                        listening.clone_from(&proxy.listen);
                        said.push(Event::LinkUp { addr: proxy.listen.unwrap_or_default() });
                    }
                    let counters = LinkCounters::default();
                    said.push(Event::Link(LinkReport { counters, enabled: proxy.enabled, toxics: proxy.toxics }));
                }
                for event in said {
                    if events.send(event).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Makes the external link hold `toxics` and be `enabled`.
async fn push(client: &Client, api: &Url, enabled: bool, toxics: &[ToxicSpec]) -> Result<(), String> {
    client.admin_send::<Value>(Method::POST, api, "reset", &json!({})).await?;
    for toxic in toxics {
        client.admin_send::<Value>(Method::POST, api, &format!("proxies/{PROXY}/toxics"), toxic).await?;
    }
    if !enabled {
        client.admin_send::<Value>(Method::POST, api, &format!("proxies/{PROXY}"), &json!({"enabled": false})).await?;
    }
    Ok(())
}
