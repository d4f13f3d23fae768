//! End-to-end tests: the real `haetae` binary on loopback ports, real
//! clients, and the demo site as the upstream.

mod harness;

mod basics;
mod bodies;
mod cli;
mod detection;
mod eval;
mod failover;
mod foundation;
mod h2_tls_ws;
mod hardening;
mod protocol;
mod reload;
mod rules;
mod scan;
mod store;
mod workers;
