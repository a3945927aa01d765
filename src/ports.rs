//! Free loopback ports for clusters started by tests and benchmarks.
//!
//! A port picked by binding `127.0.0.1:0` comes from the kernel's ephemeral
//! range, the same range every outgoing connection and every other
//! `bind(0)` on the machine draws from. Once the probe socket is closed the
//! kernel may hand that port to someone else before the node binds it — CI
//! saw exactly that ("Address already in use" while starting a cluster whose
//! own SQL listener had been given an RPC port picked a moment before). So
//! ports are picked at random *below* the ephemeral range, where the kernel
//! never assigns ports by itself; only another explicit picker can collide,
//! and the random choice over ~20,000 ports makes that unlikely.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;

/// The lowest port handed out; below it live well-known services.
const LOWEST_PORT: u16 = 10_000;

/// Where the kernel's ephemeral range starts (Linux default when unknown).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// A random number from the standard library's per-process random keys,
/// so parallel test processes pick differently without a rand dependency.
fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    h.finish()
}

/// `n` distinct loopback ports that were free a moment ago and that the
/// kernel will not give to an outgoing connection or a `bind(0)`. Every
/// probe stays bound until all `n` are picked, so they differ from each
/// other. Falls back to kernel-chosen ports when there is no room below the
/// ephemeral range.
pub fn free_loopback_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let top = ephemeral_start();
    let mut held: Vec<TcpListener> = Vec::with_capacity(n);
    if top > LOWEST_PORT + 1_000 {
        let span = u64::from(top - LOWEST_PORT);
        let mut attempts = 0;
        while held.len() < n && attempts < 1_000 {
            attempts += 1;
            let port = LOWEST_PORT + (random_u64() % span) as u16;
            if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
                held.push(l);
            }
        }
    }
    while held.len() < n {
        held.push(TcpListener::bind("127.0.0.1:0")?);
    }
    held.iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_outside_the_ephemeral_range() {
        let ports = free_loopback_ports(30).expect("ports");
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 30, "ports repeat: {ports:?}");
        let top = ephemeral_start();
        if top > LOWEST_PORT + 1_000 {
            assert!(ports.iter().all(|p| (LOWEST_PORT..top).contains(p)));
        }
        for p in ports {
            TcpListener::bind(("127.0.0.1", p)).expect("port is free again");
        }
    }
}
