//! Request metrics in Prometheus text format at `/metrics`, named as kube-apiserver's
//! (`apiserver_request_total`, `apiserver_request_duration_seconds`), so the SLOs of
//! Kubernetes (p99 of mutating calls ≤ 1 s) can be checked against berth.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

fn duration_histogram() -> Histogram {
    // kube-apiserver's buckets
    Histogram::new([
        0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0,
        10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
    ])
}

/// The API server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "apiserver_request",
            "Counter of apiserver requests broken out by verb, resource and HTTP response code",
            requests.clone(),
        );
        registry.register("apiserver_request_duration_seconds", "Response latency distribution in seconds for each verb and resource (watches excluded)", latency.clone());
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, verb: &str, resource: &str, subresource: &str, code: u16, seconds: f64) {
        let verb = verb.to_uppercase();
        let base = vec![
            ("verb".to_string(), verb.clone()),
            ("resource".to_string(), resource.to_string()),
            ("subresource".to_string(), subresource.to_string()),
        ];
        let mut with_code = base.clone();
        with_code.push(("code".to_string(), code.to_string()));
        self.requests.get_or_create(&with_code).inc();
        if verb != "WATCH" {
            self.latency.get_or_create(&base).observe(seconds);
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = encode(&mut s, &self.registry);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_latencies_render() {
        let m = Metrics::default();
        m.observe("create", "pods", "", 201, 0.01);
        m.observe("watch", "pods", "", 200, 100.0);
        let text = m.render();
        assert!(text.contains("apiserver_request_total{verb=\"CREATE\",resource=\"pods\",subresource=\"\",code=\"201\"} 1"), "{text}");
        assert!(text.contains("apiserver_request_duration_seconds_bucket{le=\"0.025\",verb=\"CREATE\",resource=\"pods\",subresource=\"\"} 1"), "{text}");
        assert!(
            !text.contains("apiserver_request_duration_seconds_count{verb=\"WATCH\""),
            "{text}"
        );
    }
}
