//! Leader election through a `coordination.k8s.io/v1` Lease in kube-system, as
//! client-go's leaderelection does: one holder renews; others take over once it expires.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, PostParams};

/// client-go defaults used by kube-controller-manager.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
pub const RENEW_DEADLINE: Duration = Duration::from_secs(10);
pub const RETRY_PERIOD: Duration = Duration::from_secs(2);

fn now() -> MicroTime {
    MicroTime(k8s_openapi::jiff::Timestamp::now())
}

/// Tries once to acquire or renew `name`. Returns whether we hold it afterwards.
pub async fn try_acquire(
    api: &Api<Lease>,
    name: &str,
    identity: &str,
) -> Result<bool, kube::Error> {
    let existing = api.get_opt(name).await?;
    let Some(mut lease) = existing else {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(identity.to_string()),
                lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
                acquire_time: Some(now()),
                renew_time: Some(now()),
                lease_transitions: Some(0),
                ..Default::default()
            }),
        };
        return match api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
            Err(e) => Err(e),
        };
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec.holder_identity.clone().unwrap_or_default();
    let expired = match &spec.renew_time {
        Some(t) => {
            let dur = spec
                .lease_duration_seconds
                .unwrap_or(LEASE_DURATION.as_secs() as i32) as i64;
            let renewed: chrono::DateTime<Utc> =
                chrono::DateTime::from_timestamp_micros(t.0.as_microsecond()).unwrap_or_default();
            Utc::now() > renewed + chrono::Duration::seconds(dur)
        }
        None => true,
    };
    if holder != identity && !holder.is_empty() && !expired {
        return Ok(false);
    }
    let mut new_spec = spec.clone();
    if holder != identity {
        new_spec.acquire_time = Some(now());
        new_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    new_spec.holder_identity = Some(identity.to_string());
    new_spec.lease_duration_seconds = Some(LEASE_DURATION.as_secs() as i32);
    new_spec.renew_time = Some(now());
    lease.spec = Some(new_spec);
    match api.replace(name, &PostParams::default(), &lease).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs `work` whenever this process holds the Lease `kube-system/<name>`; cancels it
/// when the Lease cannot be renewed within [`RENEW_DEADLINE`], then competes again.
pub async fn run_while_leader<F, Fut>(client: kube::Client, name: &str, identity: String, work: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let api: Api<Lease> = Api::namespaced(client, "kube-system");
    loop {
        match try_acquire(&api, name, &identity).await {
            Ok(true) => {}
            Ok(false) => {
                tokio::time::sleep(RETRY_PERIOD).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "leader election");
                tokio::time::sleep(RETRY_PERIOD).await;
                continue;
            }
        }
        tracing::info!(lease = name, %identity, "became leader");
        let task = tokio::spawn(work());
        let mut last_renew = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(RETRY_PERIOD).await;
            if task.is_finished() {
                break;
            }
            match try_acquire(&api, name, &identity).await {
                Ok(true) => last_renew = tokio::time::Instant::now(),
                Ok(false) => break,
                Err(e) => tracing::warn!(lease = name, error = %e, "renewing lease"),
            }
            if last_renew.elapsed() > RENEW_DEADLINE {
                break;
            }
        }
        task.abort();
        tracing::warn!(lease = name, %identity, "leadership lost");
    }
}
