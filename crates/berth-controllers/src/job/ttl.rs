//! The TTL-after-finished controller: deletes a finished Job (and, by background
//! propagation, its pods) `spec.ttlSecondsAfterFinished` seconds after it completed or
//! failed (pkg/controller/ttlafterfinished).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Preconditions, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::util;
use crate::Context;

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    Controller::new(
        Api::<Job>::all(ctx.client.clone()),
        watcher::Config::default(),
    )
    .run(reconcile, error_policy, ctx)
    .for_each(|_| async {})
    .await;
}

fn error_policy(_job: Arc<Job>, err: &kube::Error, _ctx: Arc<Context>) -> Action {
    tracing::debug!(error = %err, "ttl-after-finished sync failed");
    Action::requeue(util::error_backoff())
}

/// When a Job finished: the last transition of its Complete or Failed condition.
pub fn finish_time(job: &Job) -> Option<Timestamp> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

/// How long until `job` expires (zero or less: expired); `None` if it never does.
fn time_left(job: &Job, now: Timestamp) -> Option<i64> {
    if job.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let ttl = job.spec.as_ref()?.ttl_seconds_after_finished?;
    let finished = finish_time(job)?;
    Some(finished.as_second() + i64::from(ttl) - now.as_second())
}

async fn reconcile(job: Arc<Job>, ctx: Arc<Context>) -> Result<Action, kube::Error> {
    let Some(left) = time_left(&job, Timestamp::now()) else {
        return Ok(Action::await_change());
    };
    if left > 0 {
        return Ok(Action::requeue(Duration::from_secs(left as u64)));
    }
    // The TTL or the Job may have changed since the cache saw it: decide on a fresh copy.
    let ns = job.namespace().unwrap_or_default();
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &ns);
    let Some(fresh) = api.get_opt(&job.name_any()).await? else {
        return Ok(Action::await_change());
    };
    match time_left(&fresh, Timestamp::now()) {
        None => return Ok(Action::await_change()),
        Some(left) if left > 0 => return Ok(Action::requeue(Duration::from_secs(left as u64))),
        Some(_) => {}
    }
    let dp = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            resource_version: fresh.resource_version(),
            uid: fresh.uid(),
        }),
        ..DeleteParams::default()
    };
    tracing::info!(job = %format!("{ns}/{}", fresh.name_any()), "cleaning up finished job after its TTL");
    match api.delete(&fresh.name_any(), &dp).await {
        Ok(_) => Ok(Action::await_change()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {
            Ok(Action::requeue(Duration::from_secs(1)))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::{JobCondition, JobSpec, JobStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn job(ttl: Option<i32>, cond: Option<(&str, &str)>) -> Job {
        Job {
            spec: Some(JobSpec {
                ttl_seconds_after_finished: ttl,
                ..Default::default()
            }),
            status: Some(JobStatus {
                conditions: cond.map(|(t, s)| {
                    vec![JobCondition {
                        type_: t.into(),
                        status: s.into(),
                        last_transition_time: Some(Time(
                            Timestamp::from_second(1000).unwrap_or(Timestamp::UNIX_EPOCH),
                        )),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn expiry() {
        let now = Timestamp::from_second(1010).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(
            time_left(&job(Some(30), Some(("Complete", "True"))), now),
            Some(20)
        );
        assert_eq!(
            time_left(&job(Some(0), Some(("Failed", "True"))), now),
            Some(-10)
        );
        assert_eq!(time_left(&job(None, Some(("Complete", "True"))), now), None);
        assert_eq!(
            time_left(&job(Some(5), Some(("SuccessCriteriaMet", "True"))), now),
            None
        );
        assert_eq!(time_left(&job(Some(5), None), now), None);
    }
}
