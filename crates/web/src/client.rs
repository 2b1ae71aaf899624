//! Where a request comes from, for limits that count per client (logins, the public call form,
//! rating guesses).

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use app::App;

/// The client's address: the TCP peer, or, when the operator said the server sits behind a
/// reverse proxy (`--trust-proxy`), the last address that proxy appended to `X-Forwarded-For`.
/// The last entry is the one the proxy saw; earlier ones are whatever the client wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// What a limit counts as one client. An IPv6 host is usually given a whole /64 and may use
/// any address in it, so it is counted by that network; an IPv4-mapped address is its IPv4.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl ClientIp {
    fn of(parts: &Parts, trust_proxy: bool) -> ClientIp {
        let ClientIp(ip) = Self::address(parts, trust_proxy);
        ClientIp(counted_as(ip))
    }

    fn address(parts: &Parts, trust_proxy: bool) -> ClientIp {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            // In-process tests call the router without a socket.
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        if !trust_proxy {
            return ClientIp(peer);
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .next_back();
        ClientIp(forwarded.unwrap_or(peer))
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl FromRequestParts<App> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(parts, app.trust_proxy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, forwarded: Option<&str>) -> Parts {
        let mut request = Request::builder().uri("/");
        if let Some(f) = forwarded {
            request = request.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn a_forwarded_header_is_ignored_unless_the_proxy_is_trusted() {
        let p = parts("10.0.0.5:4000", Some("1.2.3.4"));
        assert_eq!(ClientIp::of(&p, false).to_string(), "10.0.0.5");
        assert_eq!(ClientIp::of(&p, true).to_string(), "1.2.3.4");
    }

    #[test]
    fn behind_a_proxy_the_last_hop_counts_not_what_the_client_wrote() {
        let p = parts("10.0.0.5:4000", Some("6.6.6.6, 1.2.3.4"));
        assert_eq!(ClientIp::of(&p, true).to_string(), "1.2.3.4");
        let no_header = parts("10.0.0.5:4000", None);
        assert_eq!(ClientIp::of(&no_header, true).to_string(), "10.0.0.5");
    }

    #[test]
    fn an_ipv6_host_counts_once_for_its_whole_network() {
        let a = parts("[2001:db8:1:2:aaaa::1]:4000", None);
        let b = parts("[2001:db8:1:2:bbbb:cccc:dddd:eeee]:4000", None);
        let other = parts("[2001:db8:1:3::1]:4000", None);
        assert_eq!(ClientIp::of(&a, false), ClientIp::of(&b, false));
        assert_ne!(ClientIp::of(&a, false), ClientIp::of(&other, false));
        let mapped = parts("[::ffff:1.2.3.4]:4000", None);
        assert_eq!(ClientIp::of(&mapped, false).to_string(), "1.2.3.4");
        let forwarded = parts("10.0.0.5:4000", Some("2001:db8:9:9:1::7"));
        assert_eq!(ClientIp::of(&forwarded, true).to_string(), "2001:db8:9:9::");
    }
}
