//! Whether a service's URL names this machine: one on another host is used
//! (sent to, its logs streamed) but never started, stopped or frozen here.

use reqwest::Url;

/// True when `url`'s host resolves to an address a socket on this machine
/// can bind (loopback, or one of its own interfaces), or cannot be resolved
/// at all (then starting it here says why it fails).
pub async fn is_this_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return true };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(mut addrs) = tokio::net::lookup_host((host, 0)).await else { return true };
    addrs.any(|addr| addr.ip().is_unspecified() || std::net::TcpListener::bind((addr.ip(), 0)).is_ok())
}

/// True when `url` names loopback (`127.0.0.1`, `[::1]`, `localhost`): this
/// machine for certain, without asking the resolver.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return true };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_is_here_and_an_address_of_no_interface_is_not() {
        let here = |text: &str| Url::parse(text).unwrap();
        assert!(is_this_host(&here("http://127.0.0.1:8080")).await);
        assert!(is_this_host(&here("http://localhost:8080")).await);
        assert!(is_this_host(&here("http://[::1]:8080")).await || std::net::TcpListener::bind("[::1]:0").is_err());
        // 198.18.0.0/15 is for benchmarks: no interface of a test machine has it.
        assert!(!is_this_host(&here("http://198.19.255.254:8080")).await);
    }
}
