//! The CronJob controller (v2): creates a Job for each scheduled time in the CronJob's
//! time zone, honouring concurrencyPolicy, suspend and startingDeadlineSeconds, keeps
//! `status.active`/`lastScheduleTime`/`lastSuccessfulTime`, and prunes finished Jobs past
//! the history limits (pkg/controller/cronjob).

mod schedule;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;

use crate::events::{NORMAL, WARNING};
use crate::util::{self, controller_of};
use crate::Context;

use schedule::Missed;

/// Annotation with the time a Job was scheduled for, RFC 3339 in the CronJob's zone.
pub const SCHEDULED_TIMESTAMP_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// Slack added to requeues so that a sync never runs just before its minute.
const NEXT_SCHEDULE_DELTA: Duration = Duration::from_millis(100);

struct CronJobController {
    ctx: Arc<Context>,
    jobs: Store<Job>,
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (jobs, writer) = reflector::store();
    let job_events = reflector(
        writer,
        watcher(Api::<Job>::all(client.clone()), watcher::Config::default()),
    )
    .default_backoff()
    .touched_objects();
    let state = Arc::new(CronJobController { ctx, jobs });
    Controller::new(Api::<CronJob>::all(client), watcher::Config::default())
        .watches_stream(job_events, |job: Job| {
            let ns = job.namespace().unwrap_or_default();
            controller_of(&job.metadata)
                .filter(|r| r.kind == "CronJob")
                .map(|r| ObjectRef::new(&r.name).within(&ns))
        })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
}

fn error_policy(_cj: Arc<CronJob>, err: &kube::Error, _state: Arc<CronJobController>) -> Action {
    tracing::debug!(error = %err, "cronjob sync failed");
    Action::requeue(util::error_backoff())
}

/// The finished condition of a Job: `Complete` or `Failed`.
fn finished_condition(job: &Job) -> Option<&str> {
    job.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| c.type_.as_str())
}

/// `<cronjob>-<scheduled time in minutes since the epoch>`: deterministic, so a time
/// is never started twice.
pub fn job_name(cronjob: &str, scheduled: Timestamp) -> String {
    format!("{cronjob}-{}", scheduled.as_second().div_euclid(60))
}

fn job_ref(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        field_path: None,
    }
}

/// Go's `time.RFC1123Z`, as MissSchedule events print the missed time.
fn rfc1123z(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// The Job for `scheduled` (getJobFromTemplate2).
fn job_from_template(cj: &CronJob, scheduled: Timestamp, tz: &TimeZone) -> Job {
    let template = cj
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .unwrap_or_default();
    let tm = template.metadata.unwrap_or_default();
    let mut annotations: BTreeMap<String, String> = tm.annotations.unwrap_or_default();
    let local = scheduled.to_zoned(tz.clone());
    annotations.insert(
        SCHEDULED_TIMESTAMP_ANNOTATION.into(),
        local
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
            .replace("+00:00", "Z"),
    );
    Job {
        metadata: ObjectMeta {
            name: Some(job_name(&cj.name_any(), scheduled)),
            namespace: cj.namespace(),
            labels: tm.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![util::controller_ref(cj)]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// Oldest first by start time (unstarted last), then by name (byJobStartTime).
fn sort_by_start_time(jobs: &mut [Arc<Job>]) {
    jobs.sort_by(|a, b| {
        let sa = a
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0);
        let sb = b
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0);
        match (sa, sb) {
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (x, y) if x == y => a.name_any().cmp(&b.name_any()),
            (x, y) => x.cmp(&y),
        }
    });
}

impl CronJobController {
    /// Deletes a Job with its pods and drops it from the active list (deleteJob).
    async fn delete_job(
        &self,
        cj: &CronJob,
        active: &mut Vec<ObjectReference>,
        ns: &str,
        name: &str,
        uid: Option<&str>,
    ) -> bool {
        let api: Api<Job> = Api::namespaced(self.ctx.client.clone(), ns);
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        match api.delete(name, &dp).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => {
                self.ctx
                    .recorder
                    .publish(cj, WARNING, "FailedDelete", &format!("Deleted job: {e}"))
                    .await;
                return false;
            }
        }
        active.retain(|r| r.uid.as_deref() != uid);
        self.ctx
            .recorder
            .publish(
                cj,
                NORMAL,
                "SuccessfulDelete",
                &format!("Deleted job {name}"),
            )
            .await;
        true
    }

    /// Deletes the oldest finished Jobs beyond the history limits (cleanupFinishedJobs).
    async fn cleanup_finished_jobs(
        &self,
        cj: &CronJob,
        jobs: &[Arc<Job>],
        active: &mut Vec<ObjectReference>,
    ) -> bool {
        let Some(spec) = cj.spec.as_ref() else {
            return false;
        };
        let mut changed = false;
        for (kind, limit) in [
            ("Complete", spec.successful_jobs_history_limit),
            ("Failed", spec.failed_jobs_history_limit),
        ] {
            let Some(limit) = limit else {
                continue;
            };
            let mut finished: Vec<Arc<Job>> = jobs
                .iter()
                .filter(|j| finished_condition(j) == Some(kind))
                .cloned()
                .collect();
            let surplus = finished.len().saturating_sub(limit.max(0) as usize);
            sort_by_start_time(&mut finished);
            for j in finished.iter().take(surplus) {
                let ns = j.namespace().unwrap_or_default();
                if self
                    .delete_job(cj, active, &ns, &j.name_any(), j.metadata.uid.as_deref())
                    .await
                {
                    changed = true;
                }
            }
        }
        changed
    }
}

/// When to look again: just after the next activation (nextScheduleTimeDuration).
fn next_requeue(
    sched: &berth_api::validation::CronSchedule,
    tz: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> Option<Duration> {
    let (recent, missed) = schedule::most_recent(sched, tz, earliest, now).ok()?;
    let base = match recent {
        Some(t) => t,
        None if missed == Missed::None => earliest,
        None => now,
    };
    let next = schedule::next_after(sched, tz, base)?;
    let ms = (next.as_millisecond() - now.as_millisecond()).max(0) as u64;
    Some(Duration::from_millis(ms) + NEXT_SCHEDULE_DELTA)
}

async fn reconcile(obj: Arc<CronJob>, st: Arc<CronJobController>) -> Result<Action, kube::Error> {
    if st.jobs.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let ns = obj.namespace().unwrap_or_default();
    let api: Api<CronJob> = Api::namespaced(st.ctx.client.clone(), &ns);
    // The cache may lag this controller's own status writes.
    let Some(cj) = api.get_opt(&obj.name_any()).await? else {
        return Ok(Action::await_change());
    };
    let uid = cj.uid().unwrap_or_default();
    let jobs: Vec<Arc<Job>> = st
        .jobs
        .state()
        .into_iter()
        .filter(|j| j.namespace().as_deref() == Some(ns.as_str()))
        .filter(|j| controller_of(&j.metadata).is_some_and(|r| r.uid == uid))
        .collect();
    let mut status = cj.status.clone().unwrap_or_default();
    let mut active = status.active.clone().unwrap_or_default();
    let (requeue, result) = sync_cronjob(&st, &cj, &jobs, &mut status, &mut active).await;
    if cj.metadata.deletion_timestamp.is_none() {
        st.cleanup_finished_jobs(&cj, &jobs, &mut active).await;
    }
    status.active = (!active.is_empty()).then_some(active);
    if cj.status.clone().unwrap_or_default() != status {
        let mut updated = cj.clone();
        updated.status = Some(status);
        match api
            .replace_status(&cj.name_any(), &PostParams::default(), &updated)
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(Action::await_change()),
            Err(e) => return Err(e),
        }
    }
    result?;
    Ok(match requeue {
        Some(d) => Action::requeue(d),
        None => Action::await_change(),
    })
}

/// One sync (syncCronJob): updates `status`/`active` in place and returns when to
/// look again, with the error that should make the sync be retried.
async fn sync_cronjob(
    st: &CronJobController,
    cj: &CronJob,
    jobs: &[Arc<Job>],
    status: &mut CronJobStatus,
    active: &mut Vec<ObjectReference>,
) -> (Option<Duration>, Result<(), kube::Error>) {
    let rec = &st.ctx.recorder;
    let ns = cj.namespace().unwrap_or_default();
    for j in jobs {
        let in_active = active.iter().any(|r| r.uid == j.metadata.uid);
        let finished = finished_condition(j);
        if !in_active && finished.is_none() {
            rec.publish(
                cj,
                WARNING,
                "UnexpectedJob",
                &format!(
                    "Saw a job that the controller did not create or forgot: {}",
                    j.name_any()
                ),
            )
            .await;
        } else if in_active && finished.is_some() {
            active.retain(|r| r.uid != j.metadata.uid);
            rec.publish(
                cj,
                NORMAL,
                "SawCompletedJob",
                &format!(
                    "Saw completed job: {}, condition: {}",
                    j.name_any(),
                    finished.unwrap_or_default()
                ),
            )
            .await;
        }
        if finished == Some("Complete") {
            let done = j.status.as_ref().and_then(|s| s.completion_time.clone());
            if let Some(done) = done {
                if status
                    .last_successful_time
                    .as_ref()
                    .is_none_or(|t| done.0 > t.0)
                {
                    status.last_successful_time = Some(done);
                }
            }
        }
    }
    // Active Jobs that no longer exist (checked against the API, not only the cache).
    let jobs_api: Api<Job> = Api::namespaced(st.ctx.client.clone(), &ns);
    for r in active.clone() {
        if jobs.iter().any(|j| j.metadata.uid == r.uid) {
            continue;
        }
        let name = r.name.clone().unwrap_or_default();
        match jobs_api.get_opt(&name).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                rec.publish(
                    cj,
                    NORMAL,
                    "MissingJob",
                    &format!("Active job went missing: {name}"),
                )
                .await;
                active.retain(|a| a.uid != r.uid);
            }
            Err(e) => return (None, Err(e)),
        }
    }
    if cj.metadata.deletion_timestamp.is_some() {
        return (None, Ok(()));
    }
    let Some(spec) = cj.spec.as_ref() else {
        return (None, Ok(()));
    };
    if let Some(tz) = spec.time_zone.as_deref() {
        if let Err(e) = schedule::load_location(tz) {
            rec.publish(
                cj,
                WARNING,
                "UnknownTimeZone",
                &format!("invalid timeZone: {tz:?}: {e}"),
            )
            .await;
            return (None, Ok(()));
        }
    }
    if spec.suspend == Some(true) {
        return (None, Ok(()));
    }
    let (prefix_tz, sched_text) = schedule::split_tz_prefix(&spec.schedule);
    if spec.schedule.contains("TZ") {
        rec.publish(cj, WARNING, "UnsupportedSchedule", &format!("CRON_TZ or TZ used in schedule {:?} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", spec.schedule)).await;
    }
    let tz = match schedule::load_location(
        prefix_tz.or(spec.time_zone.as_deref()).unwrap_or_default(),
    ) {
        Ok(tz) => tz,
        Err(e) => {
            rec.publish(
                cj,
                WARNING,
                "UnparseableSchedule",
                &format!(
                    "unparseable schedule: {:?} : provided bad location: {e}",
                    spec.schedule
                ),
            )
            .await;
            return (None, Ok(()));
        }
    };
    let sched = match berth_api::validation::parse_schedule(sched_text) {
        Ok(s) => s,
        Err(e) => {
            rec.publish(
                cj,
                WARNING,
                "UnparseableSchedule",
                &format!("unparseable schedule: {:?} : {e}", spec.schedule),
            )
            .await;
            return (None, Ok(()));
        }
    };
    let now = Timestamp::now();
    let created = cj
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0)
        .unwrap_or(now);
    let earliest = status
        .last_schedule_time
        .as_ref()
        .map(|t| t.0)
        .unwrap_or(created);
    // Nothing before the starting deadline is started any more.
    let mut window_start = earliest;
    if let Some(sds) = spec.starting_deadline_seconds {
        if let Ok(deadline) = Timestamp::from_second(now.as_second() - sds) {
            window_start = window_start.max(deadline);
        }
    }
    let (scheduled, missed) = match schedule::most_recent(&sched, &tz, window_start, now) {
        Ok(r) => r,
        Err(e) => {
            rec.publish(
                cj,
                WARNING,
                "InvalidSchedule",
                &format!("invalid schedule: {} : {e}", spec.schedule),
            )
            .await;
            return (None, Ok(()));
        }
    };
    let Some(scheduled) = scheduled.filter(|t| *t <= now) else {
        return (next_requeue(&sched, &tz, earliest, now), Ok(()));
    };
    if missed == Missed::Many {
        rec.publish(cj, WARNING, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew").await;
    }
    let too_late = spec
        .starting_deadline_seconds
        .is_some_and(|sds| scheduled.as_second() + sds < now.as_second());
    if too_late {
        rec.publish(
            cj,
            WARNING,
            "MissSchedule",
            &format!(
                "Missed scheduled time to start a job: {}",
                rfc1123z(scheduled)
            ),
        )
        .await;
        return (next_requeue(&sched, &tz, earliest, now), Ok(()));
    }
    let name = job_name(&cj.name_any(), scheduled);
    let already = active
        .iter()
        .any(|r| r.name.as_deref() == Some(name.as_str()))
        || status
            .last_schedule_time
            .as_ref()
            .is_some_and(|t| t.0 == scheduled);
    if already {
        return (next_requeue(&sched, &tz, earliest, now), Ok(()));
    }
    let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
    if policy == "Forbid" && !active.is_empty() {
        rec.publish(
            cj,
            NORMAL,
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid",
        )
        .await;
        return (next_requeue(&sched, &tz, earliest, now), Ok(()));
    }
    if policy == "Replace" {
        for r in active.clone() {
            let jname = r.name.clone().unwrap_or_default();
            if !st
                .delete_job(cj, active, &ns, &jname, r.uid.as_deref())
                .await
            {
                return (None, Ok(()));
            }
        }
    }
    let job = job_from_template(cj, scheduled, &tz);
    let created = match jobs_api.create(&PostParams::default(), &job).await {
        Ok(j) => {
            rec.publish(
                cj,
                NORMAL,
                "SuccessfulCreate",
                &format!("Created job {}", j.name_any()),
            )
            .await;
            j
        }
        Err(kube::Error::Api(e)) if e.code == 409 && e.reason == "AlreadyExists" => {
            // Created earlier but the status update was lost: take it back into the list.
            match jobs_api.get_opt(&name).await {
                Ok(Some(j)) => {
                    let ours = controller_of(&j.metadata)
                        .is_some_and(|r| Some(&r.uid) == cj.metadata.uid.as_ref());
                    if !ours || active.iter().any(|r| r.uid == j.metadata.uid) {
                        return (None, Ok(()));
                    }
                    j
                }
                Ok(None) => return (Some(Duration::from_secs(1)), Ok(())),
                Err(e) => return (None, Err(e)),
            }
        }
        Err(e) => {
            rec.publish(
                cj,
                WARNING,
                "FailedCreate",
                &format!("Error creating job: {e}"),
            )
            .await;
            return (None, Err(e));
        }
    };
    active.push(job_ref(&created));
    status.last_schedule_time = Some(Time(scheduled));
    (next_requeue(&sched, &tz, scheduled, now), Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::{CronJobSpec, JobTemplateSpec};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn job_names_and_annotation() {
        let t = ts("2024-05-01T10:01:00Z");
        assert_eq!(
            job_name("hello", t),
            format!("hello-{}", t.as_second() / 60)
        );
        let cj = CronJob {
            metadata: ObjectMeta {
                name: Some("hello".into()),
                namespace: Some("default".into()),
                uid: Some("u".into()),
                ..Default::default()
            },
            spec: Some(CronJobSpec {
                job_template: JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some([("a".to_string(), "b".to_string())].into()),
                        ..Default::default()
                    }),
                    spec: None,
                },
                ..Default::default()
            }),
            status: None,
        };
        let j = job_from_template(&cj, t, &TimeZone::UTC);
        let ann = j.metadata.annotations.unwrap_or_default();
        assert_eq!(
            ann.get(SCHEDULED_TIMESTAMP_ANNOTATION).map(String::as_str),
            Some("2024-05-01T10:01:00Z")
        );
        assert_eq!(
            j.metadata
                .labels
                .unwrap_or_default()
                .get("a")
                .map(String::as_str),
            Some("b")
        );
        assert_eq!(
            j.metadata.owner_references.unwrap_or_default()[0].kind,
            "CronJob"
        );
        assert_eq!(rfc1123z(t), "Wed, 01 May 2024 10:01:00 +0000");
    }

    #[test]
    fn requeue_lands_after_the_next_minute() {
        let s =
            berth_api::validation::parse_schedule("*/1 * * * *").unwrap_or_else(|e| panic!("{e}"));
        let now = ts("2024-05-01T10:00:30Z");
        let d = next_requeue(&s, &TimeZone::UTC, ts("2024-05-01T10:00:00Z"), now);
        assert_eq!(d, Some(Duration::from_millis(30_100)));
    }
}
