//! The Job controller: runs pods to completion (NonIndexed and Indexed), accounts for
//! them with the `batch.kubernetes.io/job-tracking` finalizer, applies backoffLimit,
//! activeDeadlineSeconds and suspend, and reports status and conditions as
//! kube-controller-manager v1.33 does (pkg/controller/job).

mod indexes;
pub mod ttl;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;

use crate::events::{NORMAL, WARNING};
use crate::replicaset::Expectations;
use crate::util::{self, controller_of};
use crate::Context;

pub use indexes::COMPLETION_INDEX;

/// Finalizer the controller puts on its pods so that none is deleted before it is counted.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// Pods created per sync at most (upstream's MaxPodCreateDeletePerSync).
const BURST: usize = 500;
/// Delay before recreating a pod after the first failure, doubled per further failure.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(10);
/// Cap of that delay (upstream's MaxJobPodFailureBackOff).
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// How long a finalizer removal is trusted before the pod store is believed instead.
const FINALIZER_EXPECTATION_TIMEOUT: Duration = Duration::from_secs(300);

/// Failures since the last success and when the last one was seen (backoffRecord).
type Backoff = (u32, Instant);

struct JobController {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    jobs: Store<Job>,
    expectations: Expectations,
    /// Pod uids whose finalizer this controller removed but whose update the pod store
    /// has not shown yet (uidTrackingExpectations): they must not be counted twice.
    removed_finalizers: Mutex<HashMap<String, Instant>>,
    backoff: Mutex<HashMap<String, Backoff>>,
}

/// Runs the controller until the process ends.
pub async fn run(ctx: Arc<Context>) {
    let client = ctx.client.clone();
    let (pods, writer) = reflector::store();
    let pod_events = reflector(
        writer,
        watcher(Api::<Pod>::all(client.clone()), watcher::Config::default()),
    )
    .default_backoff()
    .touched_objects();
    let controller = Controller::new(Api::<Job>::all(client), watcher::Config::default());
    let state = Arc::new(JobController {
        ctx,
        pods,
        jobs: controller.store(),
        expectations: Expectations::default(),
        removed_finalizers: Mutex::new(HashMap::new()),
        backoff: Mutex::new(HashMap::new()),
    });
    let orphans = release_orphan_pods(state.clone());
    let controller = controller
        .watches_stream(pod_events, |pod: Pod| {
            let ns = pod.namespace().unwrap_or_default();
            controller_of(&pod.metadata)
                .filter(|r| r.kind == "Job")
                .map(|r| ObjectRef::new(&r.name).within(&ns))
        })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    tokio::join!(controller, orphans);
}

fn error_policy(_job: Arc<Job>, err: &kube::Error, _state: Arc<JobController>) -> Action {
    tracing::debug!(error = %err, "job sync failed");
    Action::requeue(util::error_backoff())
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == TRACKING_FINALIZER)
}

/// The condition of `type_` that is True.
fn true_condition<'a>(status: &'a JobStatus, type_: &str) -> Option<&'a JobCondition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_ && c.status == "True")
}

/// Whether the Job has finished: a Complete or Failed condition that is True.
pub fn is_finished(job: &Job) -> bool {
    job.status.as_ref().is_some_and(|s| {
        true_condition(s, "Complete").is_some() || true_condition(s, "Failed").is_some()
    })
}

fn new_condition(type_: &str, reason: &str, message: &str, now: Timestamp) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// ensureJobConditionStatus: sets an existing condition's status (new transition time
/// when it flips) or appends it when True. Returns whether anything changed.
fn ensure_condition(
    conditions: &mut Vec<JobCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> bool {
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == type_) {
        if c.status != status {
            c.status = status.into();
            c.reason = Some(reason.into());
            c.message = Some(message.into());
            c.last_probe_time = Some(Time(now));
            c.last_transition_time = Some(Time(now));
            return true;
        }
        if c.reason.as_deref() != Some(reason) || c.message.as_deref() != Some(message) {
            c.reason = Some(reason.into());
            c.message = Some(message.into());
            c.last_probe_time = Some(Time(now));
            return true;
        }
        return false;
    }
    if status == "True" {
        let mut c = new_condition(type_, reason, message, now);
        c.status = status.into();
        conditions.push(c);
        return true;
    }
    false
}

/// isPodFailed: Failed, or (unless only failed pods are replaced) deleted before
/// succeeding, so that pods which never reach a phase are still counted.
fn is_pod_failed(pod: &Pod, only_failed: bool) -> bool {
    let phase = util::phase(pod);
    if phase == "Failed" {
        return true;
    }
    !only_failed && pod.metadata.deletion_timestamp.is_some() && phase != "Succeeded"
}

fn is_terminating(pod: &Pod) -> bool {
    let phase = util::phase(pod);
    pod.metadata.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded"
}

/// pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts of
/// running pods count against the backoff limit.
fn past_backoff_limit_on_failure(spec: &JobSpec, pods: &[Arc<Pod>], limit: i32) -> bool {
    let on_failure = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        == Some("OnFailure");
    if !on_failure {
        return false;
    }
    let restarts: i32 = pods
        .iter()
        .filter(|p| matches!(util::phase(p), "Running" | "Pending"))
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        })
        .map(|c| c.restart_count)
        .sum();
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

/// Remaining pod-creation delay after failures (backoffRecord.getRemainingTime).
fn backoff_remaining(record: Option<&Backoff>) -> Duration {
    let Some(&(failures, last)) = record else {
        return Duration::ZERO;
    };
    if failures == 0 {
        return Duration::ZERO;
    }
    let mut delay = DEFAULT_BACKOFF;
    for _ in 1..failures {
        delay *= 2;
        if delay > MAX_BACKOFF {
            delay = MAX_BACKOFF;
            break;
        }
    }
    delay.saturating_sub(last.elapsed())
}

/// Order in which active pods are deleted: unscheduled, pending, not ready, newest first.
fn deletion_order(pods: &mut [Arc<Pod>]) {
    pods.sort_by_key(|p| {
        let created = p
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| -t.0.as_second())
            .unwrap_or(i64::MIN);
        (
            p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some(),
            util::phase(p) != "Pending",
            util::is_pod_ready(p),
            created,
        )
    });
}

/// Adds `JOB_COMPLETION_INDEX` from the index annotation to every container.
fn add_completion_index_env(template: &mut PodTemplateSpec) {
    let Some(spec) = template.spec.as_mut() else {
        return;
    };
    let env = EnvVar {
        name: "JOB_COMPLETION_INDEX".into(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: None,
                field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
            }),
            ..Default::default()
        }),
    };
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for c in containers {
        let vars = c.env.get_or_insert_with(Vec::new);
        if !vars.iter().any(|e| e.name == env.name) {
            vars.push(env.clone());
        }
    }
}

/// `<job>-<index>-`, the job name cut so that the prefix fits generated names.
fn indexed_prefix(job: &str, index: i32) -> String {
    let suffix = format!("-{index}-");
    let max = 58usize.saturating_sub(suffix.len());
    let mut base = job;
    if base.len() > max {
        let mut end = max;
        while !base.is_char_boundary(end) {
            end -= 1;
        }
        base = &base[..end];
    }
    format!("{base}{suffix}")
}

/// A pod for `job` (with completion `index` if Indexed), carrying the tracking finalizer.
fn new_pod(job: &Job, spec: &JobSpec, index: Option<i32>) -> Pod {
    let ns = job.namespace().unwrap_or_default();
    let name = job.name_any();
    let mut template = spec.template.clone();
    let prefix = match index {
        Some(ix) => {
            let meta = template.metadata.get_or_insert_with(Default::default);
            meta.annotations
                .get_or_insert_with(Default::default)
                .insert(COMPLETION_INDEX.into(), ix.to_string());
            meta.labels
                .get_or_insert_with(Default::default)
                .insert(COMPLETION_INDEX.into(), ix.to_string());
            if let Some(s) = template.spec.as_mut() {
                if s.hostname.as_deref().unwrap_or_default().is_empty() {
                    s.hostname = Some(format!("{name}-{ix}"));
                }
            }
            add_completion_index_env(&mut template);
            indexed_prefix(&name, ix)
        }
        None => util::name_prefix(&name),
    };
    let mut pod = util::pod_from_template(&template, &ns, &prefix, util::controller_ref(job));
    pod.metadata
        .finalizers
        .get_or_insert_with(Vec::new)
        .push(TRACKING_FINALIZER.into());
    pod
}

impl JobController {
    /// Forgets finalizer removals the pod store now shows, or that are too old.
    fn observe_finalizers(&self, pods: &[Arc<Pod>]) -> HashSet<String> {
        let Ok(mut m) = self.removed_finalizers.lock() else {
            return HashSet::new();
        };
        let seen: HashMap<String, bool> = pods
            .iter()
            .map(|p| (p.uid().unwrap_or_default(), has_finalizer(p)))
            .collect();
        m.retain(|uid, since| {
            seen.get(uid).copied().unwrap_or(false)
                && since.elapsed() < FINALIZER_EXPECTATION_TIMEOUT
        });
        m.keys().cloned().collect()
    }

    /// Removes the tracking finalizer from `pods`; returns the uids it is gone from.
    async fn remove_finalizers(&self, api: &Api<Pod>, pods: &[Arc<Pod>]) -> HashSet<String> {
        let futs = pods.iter().map(|p| async move {
            let patch = serde_json::json!({"metadata": {
                "$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER],
            }});
            let r = api
                .patch(&p.name_any(), &PatchParams::default(), &Patch::Strategic(&patch))
                .await;
            let uid = p.uid().unwrap_or_default();
            match r {
                Ok(_) => Some(uid),
                Err(kube::Error::Api(e)) if e.code == 404 => Some(uid),
                Err(e) => {
                    tracing::debug!(error = %e, pod = %p.name_any(), "removing job-tracking finalizer");
                    None
                }
            }
        });
        let removed: HashSet<String> = futures_util::future::join_all(futs)
            .await
            .into_iter()
            .flatten()
            .collect();
        if let Ok(mut m) = self.removed_finalizers.lock() {
            for uid in &removed {
                m.insert(uid.clone(), Instant::now());
            }
        }
        removed
    }

    fn record_backoff(&self, job_uid: &str, new_failed: usize, new_succeeded: usize) {
        if new_failed == 0 && new_succeeded == 0 {
            return;
        }
        if let Ok(mut m) = self.backoff.lock() {
            let entry = m.entry(job_uid.to_string()).or_insert((0, Instant::now()));
            if new_succeeded > 0 {
                entry.0 = 0;
            }
            if new_failed > 0 {
                entry.0 += new_failed as u32;
                entry.1 = Instant::now();
            }
        }
    }

    fn remaining_backoff(&self, job_uid: &str) -> Duration {
        self.backoff
            .lock()
            .map(|m| backoff_remaining(m.get(job_uid)))
            .unwrap_or(Duration::ZERO)
    }

    /// Deletes pods, recording SuccessfulDelete/FailedDelete; returns how many went and
    /// how many of them were bound to a node (those stay terminating for a while).
    async fn delete_pods(&self, job: &Job, api: &Api<Pod>, victims: &[Arc<Pod>]) -> (usize, usize) {
        let mut deleted = Vec::new();
        let mut bound = 0;
        for p in victims {
            let pname = p.name_any();
            match api.delete(&pname, &DeleteParams::default()).await {
                Ok(_) => {
                    if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() {
                        bound += 1;
                    }
                    deleted.push(pname.clone());
                    self.ctx
                        .recorder
                        .publish(
                            job,
                            NORMAL,
                            "SuccessfulDelete",
                            &format!("Deleted pod: {pname}"),
                        )
                        .await;
                }
                Err(kube::Error::Api(e)) if e.code == 404 => deleted.push(pname),
                Err(e) => {
                    self.ctx
                        .recorder
                        .publish(
                            job,
                            WARNING,
                            "FailedDelete",
                            &format!("Error deleting: {e}"),
                        )
                        .await;
                }
            }
        }
        let n = deleted.len();
        self.expectations
            .expect(&job.uid().unwrap_or_default(), vec![], deleted);
        (n, bound)
    }

    /// Creates pods (one per entry of `indexes`, `None` for NonIndexed) in slow-start
    /// batches, stopping at the first failing batch. Returns how many were created.
    async fn create_pods(
        &self,
        job: &Job,
        spec: &JobSpec,
        api: &Api<Pod>,
        indexes: Vec<Option<i32>>,
    ) -> usize {
        let key = job.uid().unwrap_or_default();
        let mut created = Vec::new();
        let mut batch = 1usize;
        let mut rest = indexes.as_slice();
        while !rest.is_empty() {
            let (now, later) = rest.split_at(batch.min(rest.len()));
            rest = later;
            let futs = now.iter().map(|ix| {
                let pod = new_pod(job, spec, *ix);
                async move { api.create(&PostParams::default(), &pod).await }
            });
            let mut failed = false;
            for r in futures_util::future::join_all(futs).await {
                match r {
                    Ok(p) => {
                        let pname = p.name_any();
                        self.ctx
                            .recorder
                            .publish(
                                job,
                                NORMAL,
                                "SuccessfulCreate",
                                &format!("Created pod: {pname}"),
                            )
                            .await;
                        created.push(pname);
                    }
                    Err(e) => {
                        let msg = match &e {
                            kube::Error::Api(s) => s.message.clone(),
                            other => other.to_string(),
                        };
                        self.ctx
                            .recorder
                            .publish(
                                job,
                                WARNING,
                                "FailedCreate",
                                &format!("Error creating: {msg}"),
                            )
                            .await;
                        failed = true;
                    }
                }
            }
            if failed {
                break;
            }
            batch *= 2;
        }
        let n = created.len();
        self.expectations.expect(&key, created, vec![]);
        n
    }
}

/// Removes the tracking finalizer from pods whose Job is gone (orphanedPodCleanup), so
/// that the garbage collector and the kubelet can delete them.
async fn release_orphan_pods(state: Arc<JobController>) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if state.pods.wait_until_ready().await.is_err()
            || state.jobs.wait_until_ready().await.is_err()
        {
            continue;
        }
        let mut by_ns: HashMap<String, Vec<Arc<Pod>>> = HashMap::new();
        for pod in state.pods.state() {
            if !has_finalizer(&pod) {
                continue;
            }
            let Some(owner) = controller_of(&pod.metadata).filter(|r| r.kind == "Job") else {
                continue;
            };
            let ns = pod.namespace().unwrap_or_default();
            let job = state.jobs.get(&ObjectRef::new(&owner.name).within(&ns));
            let alive = job.is_some_and(|j| j.uid().as_deref() == Some(owner.uid.as_str()));
            if !alive {
                by_ns.entry(ns).or_default().push(pod);
            }
        }
        for (ns, pods) in by_ns {
            let api: Api<Pod> = Api::namespaced(state.ctx.client.clone(), &ns);
            state.remove_finalizers(&api, &pods).await;
        }
    }
}

async fn reconcile(obj: Arc<Job>, st: Arc<JobController>) -> Result<Action, kube::Error> {
    if st.pods.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let ns = obj.namespace().unwrap_or_default();
    // The cache may lag this controller's own status writes; counting must not.
    let api: Api<Job> = Api::namespaced(st.ctx.client.clone(), &ns);
    let Some(job) = api.get_opt(&obj.name_any()).await? else {
        return Ok(Action::await_change());
    };
    let uid = job.uid().unwrap_or_default();
    let pods: Vec<Arc<Pod>> = st
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(ns.as_str()))
        .filter(|p| controller_of(&p.metadata).is_some_and(|r| r.uid == uid))
        .collect();
    let pods_api: Api<Pod> = Api::namespaced(st.ctx.client.clone(), &ns);
    if is_finished(&job) {
        let expected = st.observe_finalizers(&pods);
        let left: Vec<Arc<Pod>> = pods
            .into_iter()
            .filter(|p| has_finalizer(p) && !expected.contains(&p.uid().unwrap_or_default()))
            .collect();
        st.remove_finalizers(&pods_api, &left).await;
        if let Ok(mut m) = st.backoff.lock() {
            m.remove(&uid);
        }
        return Ok(Action::await_change());
    }
    let Some(spec) = job.spec.clone() else {
        return Ok(Action::await_change());
    };
    sync_job(&st, &api, &pods_api, job, spec, pods).await
}

/// One sync of a Job that has not finished (syncJob).
async fn sync_job(
    st: &JobController,
    api: &Api<Job>,
    pods_api: &Api<Pod>,
    job: Job,
    spec: JobSpec,
    pods: Vec<Arc<Pod>>,
) -> Result<Action, kube::Error> {
    let now = Timestamp::now();
    let uid = job.uid().unwrap_or_default();
    let old_status = job.status.clone().unwrap_or_default();
    let mut status = old_status.clone();
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let completions = spec.completions;
    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let suspended = spec.suspend == Some(true);
    let only_failed = spec.pod_replacement_policy.as_deref() == Some("Failed");
    let valid_index = |ix: Option<i32>| ix.is_some_and(|i| i < completions.unwrap_or(0));
    let mut requeue: Option<Duration> = None;

    let uncounted = status.uncounted_terminated_pods.clone().unwrap_or_default();
    let mut unc_succ = uncounted.succeeded.unwrap_or_default();
    let mut unc_fail = uncounted.failed.unwrap_or_default();
    let mut completed = if indexed {
        indexes::parse(
            status.completed_indexes.as_deref(),
            completions.unwrap_or(0),
        )
    } else {
        BTreeSet::new()
    };
    let expected_removed = st.observe_finalizers(&pods);
    let tracked = |p: &Pod| {
        let puid = p.uid().unwrap_or_default();
        has_finalizer(p) && !expected_removed.contains(&puid)
    };
    let index_of = |p: &Pod| indexes::completion_index(p.metadata.annotations.as_ref());

    // Pods finished since the last sync (getNewFinishedPods).
    let (mut new_succeeded, mut new_failed) = (0usize, 0usize);
    let mut new_indexes = BTreeSet::new();
    for p in pods.iter().filter(|p| tracked(p)) {
        let puid = p.uid().unwrap_or_default();
        if unc_succ.contains(&puid) || unc_fail.contains(&puid) {
            continue;
        }
        if util::phase(p) == "Succeeded" {
            if !indexed {
                new_succeeded += 1;
            } else if let Some(ix) = index_of(p).filter(|_| valid_index(index_of(p))) {
                if !completed.contains(&ix) && new_indexes.insert(ix) {
                    new_succeeded += 1;
                }
            }
        } else if is_pod_failed(p, only_failed) && (!indexed || valid_index(index_of(p))) {
            new_failed += 1;
        }
    }
    st.record_backoff(&uid, new_failed, new_succeeded);
    let failed_total = status.failed.unwrap_or(0) as usize + unc_fail.len() + new_failed;
    let succeeded_total = if indexed {
        completed.len() + new_indexes.len()
    } else {
        status.succeeded.unwrap_or(0) as usize + unc_succ.len() + new_succeeded
    };

    if status.start_time.is_none() && !suspended {
        status.start_time = Some(Time(now));
    }
    let mut conditions = status.conditions.clone().unwrap_or_default();
    let mut events: Vec<(&str, &str, String)> = Vec::new();

    // The terminal condition to set once every pod is accounted for, and the interim one
    // (FailureTarget, SuccessCriteriaMet) that announces it first.
    let mut finished: Option<JobCondition> = None;
    let mut interim: Option<JobCondition> = None;
    if let Some(c) = true_condition(&old_status, "FailureTarget") {
        finished = Some(new_condition(
            "Failed",
            c.reason.as_deref().unwrap_or_default(),
            c.message.as_deref().unwrap_or_default(),
            now,
        ));
    } else if let Some(c) = true_condition(&old_status, "SuccessCriteriaMet") {
        finished = Some(new_condition(
            "Complete",
            c.reason.as_deref().unwrap_or_default(),
            c.message.as_deref().unwrap_or_default(),
            now,
        ));
    }
    if finished.is_none() {
        let started = status.start_time.as_ref().map(|t| t.0);
        if failed_total > backoff_limit.max(0) as usize
            || past_backoff_limit_on_failure(&spec, &pods, backoff_limit)
        {
            interim = Some(new_condition(
                "FailureTarget",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            ));
        } else if let (Some(ads), Some(start), false) =
            (spec.active_deadline_seconds, started, suspended)
        {
            let left = start.as_second() + ads - now.as_second();
            if left <= 0 {
                interim = Some(new_condition(
                    "FailureTarget",
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                    now,
                ));
            } else {
                requeue = Some(Duration::from_secs(left as u64));
            }
        }
    }

    let mut active: Vec<Arc<Pod>> = pods
        .iter()
        .filter(|p| util::is_pod_active(p))
        .cloned()
        .collect();
    let mut terminating = pods.iter().filter(|p| is_terminating(p)).count();
    let satisfied = st
        .expectations
        .satisfied(&uid, &st.pods, &job.namespace().unwrap_or_default());
    let mut active_count = active.len();
    let mut ready = active.iter().filter(|p| util::is_pod_ready(p)).count();

    if finished.is_some() || interim.is_some() {
        // A failing or finishing Job stops its remaining pods.
        let (_, bound) = st.delete_pods(&job, pods_api, &active).await;
        terminating += bound;
        active_count = 0;
        ready = 0;
    } else {
        let mut manage_called = false;
        if satisfied && job.metadata.deletion_timestamp.is_none() {
            manage_called = true;
            let m = manage(
                st,
                &job,
                &spec,
                pods_api,
                &mut active,
                &pods,
                &completed,
                &new_indexes,
                succeeded_total,
                terminating,
            )
            .await;
            active_count = m.active;
            ready = m.ready;
            terminating += m.terminating;
            if let Some(d) = m.requeue {
                requeue = Some(requeue.map_or(d, |r| r.min(d)));
            }
        }
        let complete = match completions {
            None => succeeded_total > 0 && active_count == 0,
            Some(c) if indexed => succeeded_total >= c.max(0) as usize,
            Some(c) => succeeded_total >= c.max(0) as usize && active_count == 0,
        };
        if complete {
            interim = Some(new_condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            ));
        } else if manage_called {
            if suspended {
                if ensure_condition(
                    &mut conditions,
                    "Suspended",
                    "True",
                    "JobSuspended",
                    "Job suspended",
                    now,
                ) {
                    events.push((NORMAL, "Suspended", "Job suspended".into()));
                }
            } else if ensure_condition(
                &mut conditions,
                "Suspended",
                "False",
                "JobResumed",
                "Job resumed",
                now,
            ) {
                events.push((NORMAL, "Resumed", "Job resumed".into()));
                // A resumed Job's active deadline starts anew.
                status.start_time = Some(Time(now));
            }
        }
    }
    if let Some(c) = interim.take() {
        let final_type = if c.type_ == "FailureTarget" {
            "Failed"
        } else {
            "Complete"
        };
        finished = Some(new_condition(
            final_type,
            c.reason.as_deref().unwrap_or_default(),
            c.message.as_deref().unwrap_or_default(),
            now,
        ));
        conditions.push(c);
    }

    // Record newly finished pods as uncounted, then remove their finalizers
    // (trackJobStatusAndRemoveFinalizers).
    let mut to_release = Vec::new();
    for p in pods.iter().filter(|p| tracked(p)) {
        let phase = util::phase(p);
        let failed = is_pod_failed(p, only_failed);
        if !(phase == "Succeeded" || failed || finished.is_some()) {
            continue;
        }
        to_release.push(p.clone());
        let puid = p.uid().unwrap_or_default();
        if phase == "Succeeded" && !unc_fail.contains(&puid) {
            if unc_succ.contains(&puid) {
                continue;
            }
            if !indexed {
                unc_succ.push(puid);
            } else if let Some(ix) = index_of(p).filter(|_| valid_index(index_of(p))) {
                if completed.insert(ix) {
                    unc_succ.push(puid);
                }
            }
        } else if phase != "Succeeded"
            && !unc_fail.contains(&puid)
            && (!indexed || valid_index(index_of(p)))
        {
            unc_fail.push(puid);
        }
    }
    status.active = nonzero(active_count);
    status.ready = Some(ready as i32);
    status.terminating = Some(terminating as i32);
    status.conditions = (!conditions.is_empty()).then_some(conditions);
    status.completed_indexes = if indexed && !completed.is_empty() {
        Some(indexes::format(&completed))
    } else {
        None
    };
    status.uncounted_terminated_pods = Some(uncounted_of(&unc_succ, &unc_fail));

    let mut current = job.clone();
    if status != old_status && (!to_release.is_empty() || finished.is_some()) {
        // The pods must be on record before their finalizers go.
        current = write_status(api, &current, &status).await?;
    }
    let removed = st.remove_finalizers(pods_api, &to_release).await;
    let still_tracked: HashSet<String> = pods
        .iter()
        .filter(|p| tracked(p))
        .filter_map(|p| p.uid())
        .filter(|u| !removed.contains(u))
        .collect();
    let before = (unc_succ.len(), unc_fail.len());
    unc_succ.retain(|u| still_tracked.contains(u));
    unc_fail.retain(|u| still_tracked.contains(u));
    if !indexed {
        status.succeeded =
            nonzero(status.succeeded.unwrap_or(0) as usize + before.0 - unc_succ.len());
    } else {
        status.succeeded = nonzero(completed.len() - unc_succ.len());
    }
    status.failed = nonzero(status.failed.unwrap_or(0) as usize + before.1 - unc_fail.len());
    status.uncounted_terminated_pods = Some(uncounted_of(&unc_succ, &unc_fail));

    // enactJobFinished: the terminal condition once nothing is left to account for.
    let mut done = None;
    if let Some(f) = finished {
        if unc_succ.is_empty() && unc_fail.is_empty() && terminating == 0 {
            if f.type_ == "Complete" {
                status.completion_time = f.last_transition_time.clone();
            }
            let conds = status.conditions.get_or_insert_with(Vec::new);
            ensure_condition(
                conds,
                &f.type_,
                "True",
                f.reason.as_deref().unwrap_or_default(),
                f.message.as_deref().unwrap_or_default(),
                now,
            );
            done = Some(f);
        }
    }
    if current.status.as_ref() != Some(&status) {
        current = write_status(api, &current, &status).await?;
    }
    for (type_, reason, message) in events {
        st.ctx
            .recorder
            .publish(&current, type_, reason, &message)
            .await;
    }
    if let Some(f) = done {
        if f.type_ == "Complete" {
            if let (Some(c), Some(s)) = (completions, status.succeeded) {
                if s > c {
                    st.ctx
                        .recorder
                        .publish(
                            &current,
                            WARNING,
                            "TooManySucceededPods",
                            "Too many succeeded pods running after completion count reached",
                        )
                        .await;
                }
            }
            st.ctx
                .recorder
                .publish(&current, NORMAL, "Completed", "Job completed")
                .await;
        } else {
            st.ctx
                .recorder
                .publish(
                    &current,
                    WARNING,
                    f.reason.as_deref().unwrap_or_default(),
                    f.message.as_deref().unwrap_or_default(),
                )
                .await;
        }
        return Ok(Action::await_change());
    }
    if !satisfied {
        requeue = Some(requeue.map_or(Duration::from_secs(1), |r| r.min(Duration::from_secs(1))));
    }
    Ok(Action::requeue(requeue.unwrap_or(Duration::from_secs(300))))
}

fn nonzero(n: usize) -> Option<i32> {
    (n > 0).then_some(n as i32)
}

fn uncounted_of(succeeded: &[String], failed: &[String]) -> UncountedTerminatedPods {
    UncountedTerminatedPods {
        succeeded: (!succeeded.is_empty()).then(|| succeeded.to_vec()),
        failed: (!failed.is_empty()).then(|| failed.to_vec()),
    }
}

/// Writes status with the Job's resourceVersion, so a concurrent writer causes a retry.
async fn write_status(api: &Api<Job>, job: &Job, status: &JobStatus) -> Result<Job, kube::Error> {
    let mut j = job.clone();
    j.status = Some(status.clone());
    api.replace_status(&job.name_any(), &PostParams::default(), &j)
        .await
}

/// What manageJob leaves: active and ready pods, bound pods it deleted, and when to
/// come back (pod-creation backoff).
struct Managed {
    active: usize,
    ready: usize,
    terminating: usize,
    requeue: Option<Duration>,
}

/// manageJob: deletes surplus or misplaced active pods and creates missing ones.
#[allow(clippy::too_many_arguments)]
async fn manage(
    st: &JobController,
    job: &Job,
    spec: &JobSpec,
    pods_api: &Api<Pod>,
    active: &mut Vec<Arc<Pod>>,
    pods: &[Arc<Pod>],
    completed: &BTreeSet<i32>,
    new_indexes: &BTreeSet<i32>,
    succeeded: usize,
    terminating: usize,
) -> Managed {
    let uid = job.uid().unwrap_or_default();
    let parallelism = spec.parallelism.unwrap_or(1).max(0) as usize;
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let only_failed = spec.pod_replacement_policy.as_deref() == Some("Failed");
    let mut out = Managed {
        active: active.len(),
        ready: 0,
        terminating: 0,
        requeue: None,
    };
    let mut remove: Vec<Arc<Pod>> = Vec::new();

    if spec.suspend == Some(true) {
        remove.append(active);
    } else if indexed {
        // Active pods with a bad, finished or duplicated index go first.
        let completions = spec.completions.unwrap_or(0);
        let mut seen = HashSet::new();
        let mut keep = Vec::new();
        deletion_order(active);
        active.reverse();
        for p in active.drain(..) {
            let ix = indexes::completion_index(p.metadata.annotations.as_ref());
            match ix {
                Some(i)
                    if i < completions
                        && !completed.contains(&i)
                        && !new_indexes.contains(&i)
                        && seen.insert(i) =>
                {
                    keep.push(p)
                }
                _ => remove.push(p),
            }
        }
        *active = keep;
    }
    let want = if spec.suspend == Some(true) {
        0
    } else {
        match spec.completions {
            None if succeeded > 0 => active.len(),
            None => parallelism,
            Some(c) => (c.max(0) as usize)
                .saturating_sub(succeeded)
                .min(parallelism),
        }
    };
    if active.len() > want {
        deletion_order(active);
        let surplus = active.len() - want;
        remove.extend(active.drain(..surplus));
    }
    if !remove.is_empty() {
        let (_, bound) = st.delete_pods(job, pods_api, &remove).await;
        out.terminating = bound;
    }
    out.active = active.len();
    out.ready = active.iter().filter(|p| util::is_pod_ready(p)).count();
    let mut diff = want.saturating_sub(active.len());
    if only_failed {
        diff = diff.saturating_sub(terminating + out.terminating);
    }
    diff = diff.min(BURST);
    if diff == 0 {
        return out;
    }
    let wait = st.remaining_backoff(&uid);
    if !wait.is_zero() {
        out.requeue = Some(wait);
        return out;
    }
    let to_create: Vec<Option<i32>> = if indexed {
        let busy: HashSet<i32> = active
            .iter()
            .chain(pods.iter().filter(|p| only_failed && is_terminating(p)))
            .filter_map(|p| indexes::completion_index(p.metadata.annotations.as_ref()))
            .collect();
        (0..spec.completions.unwrap_or(0))
            .filter(|i| !completed.contains(i) && !new_indexes.contains(i) && !busy.contains(i))
            .take(diff)
            .map(Some)
            .collect()
    } else {
        vec![None; diff]
    };
    out.active += st.create_pods(job, spec, pods_api, to_create).await;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_ensured_as_upstream() {
        let now = Timestamp::UNIX_EPOCH;
        let mut c = Vec::new();
        assert!(!ensure_condition(
            &mut c,
            "Suspended",
            "False",
            "JobResumed",
            "Job resumed",
            now
        ));
        assert!(c.is_empty());
        assert!(ensure_condition(
            &mut c,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            now
        ));
        assert!(!ensure_condition(
            &mut c,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            now
        ));
        assert!(ensure_condition(
            &mut c,
            "Suspended",
            "False",
            "JobResumed",
            "Job resumed",
            now
        ));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].reason.as_deref(), Some("JobResumed"));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(15))
            .unwrap_or_else(Instant::now);
        assert_eq!(backoff_remaining(None), Duration::ZERO);
        assert_eq!(backoff_remaining(Some(&(1, long_ago))), Duration::ZERO);
        let r = backoff_remaining(Some(&(2, long_ago)));
        assert!(
            r > Duration::from_secs(4) && r <= Duration::from_secs(5),
            "{r:?}"
        );
        assert!(backoff_remaining(Some(&(30, Instant::now()))) <= MAX_BACKOFF);
    }

    #[test]
    fn indexed_names() {
        assert_eq!(indexed_prefix("pi", 3), "pi-3-");
        let long = "a".repeat(70);
        assert_eq!(indexed_prefix(&long, 12).len(), 58);
        assert!(indexed_prefix(&long, 12).ends_with("-12-"));
    }

    #[test]
    fn indexed_pods_carry_their_index() {
        let job = Job {
            metadata: kube::api::ObjectMeta {
                name: Some("pi".into()),
                namespace: Some("default".into()),
                uid: Some("u".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let spec = JobSpec {
            template: PodTemplateSpec {
                metadata: None,
                spec: Some(k8s_openapi::api::core::v1::PodSpec {
                    containers: vec![Default::default()],
                    ..Default::default()
                }),
            },
            ..Default::default()
        };
        let pod = new_pod(&job, &spec, Some(2));
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("pi-2-"));
        assert_eq!(
            pod.metadata.finalizers,
            Some(vec![TRACKING_FINALIZER.to_string()])
        );
        assert_eq!(
            indexes::completion_index(pod.metadata.annotations.as_ref()),
            Some(2)
        );
        let ps = pod.spec.unwrap_or_default();
        assert_eq!(ps.hostname.as_deref(), Some("pi-2"));
        assert_eq!(
            ps.containers[0].env.as_ref().map(|e| e[0].name.as_str()),
            Some("JOB_COMPLETION_INDEX")
        );
    }
}
