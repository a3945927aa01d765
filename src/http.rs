//! The HTTP endpoint: Prometheus metrics, debug views and health.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rangedb_kv::{NodeService, RangeInfo};
use rangedb_raft::RaftHost;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once; later calls reuse it).
pub fn prometheus() -> Option<PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!("metrics recorder not installed: {e}");
                None
            }
        })
        .clone()
}

#[derive(Clone)]
struct AppState {
    service: Arc<NodeService>,
}

/// One line per range: id, span, replicas, leader, applied index.
pub fn format_ranges(ranges: &[RangeInfo]) -> String {
    let mut out = String::new();
    for r in ranges {
        let d = &r.descriptor;
        let replicas: Vec<String> = d.replicas.iter().map(|x| x.node_id.to_string()).collect();
        let leader = r.leader.map_or("none".to_string(), |l| l.to_string());
        out.push_str(&format!(
            "range={} span={} replicas={} leader={} applied={} gen={}\n",
            d.range_id,
            d.span(),
            replicas.join(","),
            leader,
            r.applied_index,
            d.generation
        ));
    }
    out
}

async fn metrics_handler() -> impl IntoResponse {
    match prometheus() {
        Some(h) => (StatusCode::OK, h.render()),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable\n".to_string(),
        ),
    }
}

async fn ranges_handler(State(st): State<AppState>) -> impl IntoResponse {
    match st.service.debug_ranges().await {
        Ok(r) => (StatusCode::OK, format_ranges(&r)),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("error: {e}\n")),
    }
}

async fn ranges_json_handler(State(st): State<AppState>) -> impl IntoResponse {
    match st.service.debug_ranges().await {
        Ok(r) => (
            StatusCode::OK,
            serde_json::to_string(&r).unwrap_or_default(),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{{\"error\":{:?}}}", e.to_string()),
        ),
    }
}

async fn local_ranges_handler(State(st): State<AppState>) -> impl IntoResponse {
    (StatusCode::OK, format_ranges(&st.service.local_ranges()))
}

/// Makes the always-interesting counters visible at zero before their first
/// event, so dashboards and tests can tell "none yet" from "not exported".
fn register_zeroes() {
    for kind in [
        "raft",
        "raft_timeout",
        "range",
        "range_timeout",
        "malformed",
    ] {
        metrics::counter!("rangedb_rpc_errors_total", "kind" => kind).increment(0);
    }
    for name in [
        "rangedb_raft_proposals_total",
        "rangedb_raft_snapshots_built_total",
        "rangedb_raft_snapshots_installed_total",
        "rangedb_range_splits_total",
    ] {
        metrics::counter!(name).increment(0);
    }
}

/// Serves HTTP until shutdown.
pub async fn serve(
    listener: TcpListener,
    service: Arc<NodeService>,
    mut shutdown: watch::Receiver<bool>,
) {
    prometheus();
    register_zeroes();
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/debug/ranges", get(ranges_handler))
        .route("/debug/ranges.json", get(ranges_json_handler))
        .route("/debug/local-ranges", get(local_ranges_handler))
        .route("/health", get(|| async { "ok\n" }))
        .with_state(AppState { service });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = served {
        tracing::error!("HTTP server stopped: {e}");
    }
}

/// Refreshes per-node gauges (leader count, ranges hosted) every second.
pub async fn report_gauges(host: Arc<RaftHost>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        metrics::gauge!("rangedb_leader_count").set(host.leader_count() as f64);
        metrics::gauge!("rangedb_replica_count").set(host.replicas().len() as f64);
    }
}
