//! The scheduler of berth (kube-scheduler's default profile, in-process in `berth
//! server`): assigns pending pods to nodes through `pods/binding` while it holds the
//! `kube-system/kube-scheduler` Lease.

pub mod cache;
mod eventhandlers;
pub mod framework;
pub mod queue;
pub mod schedule_one;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use berth_controllers::events::Recorder;
use k8s_openapi::api::core::v1::ObjectReference;
use tokio::sync::{mpsc, Semaphore};

pub use eventhandlers::DEFAULT_SCHEDULER_NAME;

/// Scheduler settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// This process's identity in leader election.
    pub identity: String,
    /// Bindings in flight at most.
    pub parallel_bindings: usize,
    /// percentageOfNodesToScore; 0 is upstream's adaptive default.
    pub percentage_of_nodes_to_score: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            identity: "berth".into(),
            parallel_bindings: 64,
            percentage_of_nodes_to_score: 0,
        }
    }
}

/// Name of the leader-election Lease in kube-system.
pub const LEASE_NAME: &str = "kube-scheduler";
/// Events waiting to be written at most; more are dropped (as client-go's broadcaster does).
const EVENT_BACKLOG: usize = 8192;
/// Concurrent event writes.
const EVENT_WORKERS: usize = 8;
/// Concurrent PodScheduled condition updates.
const STATUS_WORKERS: usize = 16;

type EventItem = (ObjectReference, &'static str, &'static str, String);

/// The running scheduler: cache, queue, plugins and the API client.
pub(crate) struct Scheduler {
    client: kube::Client,
    options: Options,
    framework: framework::Framework,
    cache: Mutex<cache::Cache>,
    queue: queue::SchedulingQueue,
    bind_slots: Arc<Semaphore>,
    status_slots: Arc<Semaphore>,
    events: mpsc::Sender<EventItem>,
    pods_synced: AtomicBool,
    nodes_synced: AtomicBool,
}

impl Scheduler {
    pub(crate) fn cache(&self) -> MutexGuard<'_, cache::Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event for writing; drops it when the backlog is full.
    pub(crate) fn event(
        &self,
        regarding: ObjectReference,
        type_: &'static str,
        reason: &'static str,
        message: String,
    ) {
        if self
            .events
            .try_send((regarding, type_, reason, message))
            .is_err()
        {
            tracing::debug!(reason, "event backlog full; dropping event");
        }
    }
}

/// Writes queued events with a few concurrent workers.
async fn event_workers(recorder: Arc<Recorder>, rx: mpsc::Receiver<EventItem>) {
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..EVENT_WORKERS {
        let rx = rx.clone();
        let recorder = recorder.clone();
        workers.spawn(async move {
            loop {
                let item = rx.lock().await.recv().await;
                let Some((regarding, type_, reason, message)) = item else {
                    return;
                };
                recorder
                    .publish_ref(regarding, type_, reason, &message)
                    .await;
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

/// Runs one term as leader: watches, waits for the caches, then schedules.
async fn lead(client: kube::Client, options: Options) {
    let recorder = Arc::new(Recorder::new(
        client.clone(),
        DEFAULT_SCHEDULER_NAME,
        &options.identity,
    ));
    let (tx, rx) = mpsc::channel(EVENT_BACKLOG);
    let s = Arc::new(Scheduler {
        client,
        bind_slots: Arc::new(Semaphore::new(options.parallel_bindings.max(1))),
        status_slots: Arc::new(Semaphore::new(STATUS_WORKERS)),
        options,
        framework: framework::Framework::default(),
        cache: Mutex::new(cache::Cache::default()),
        queue: queue::SchedulingQueue::default(),
        events: tx,
        pods_synced: AtomicBool::new(false),
        nodes_synced: AtomicBool::new(false),
    });
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(event_workers(recorder, rx));
    tasks.spawn(s.clone().watch_nodes());
    tasks.spawn(s.clone().watch_pods());
    let flusher = s.clone();
    tasks.spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            flusher.queue.flush_unschedulable_left_over();
        }
    });
    // WaitForCacheSync: decisions need every node and every bound pod.
    while !(s.pods_synced.load(Ordering::Acquire) && s.nodes_synced.load(Ordering::Acquire)) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // one guard at a time: two `cache()` temporaries in one statement would deadlock
    let nodes = s.cache().node_names().len();
    let pods = s.cache().pod_count();
    tracing::info!(nodes, pods, "scheduler caches synced");
    tasks.spawn(s.clone().scheduling_loop());
    while tasks.join_next().await.is_some() {}
}

/// Runs the scheduler until the process ends: schedules while holding the Lease
/// `kube-system/kube-scheduler`, and competes again after losing it.
pub async fn run(client: kube::Client, options: Options) {
    let identity = options.identity.clone();
    berth_controllers::leaderelection::run_while_leader(
        client.clone(),
        LEASE_NAME,
        identity,
        move || lead(client.clone(), options.clone()),
    )
    .await
}
