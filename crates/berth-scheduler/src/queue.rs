//! The scheduling queue: activeQ (priority, then arrival), backoffQ (failed pods wait
//! 1s doubling to 10s), and unschedulable pods parked until the cluster changes
//! (pkg/scheduler/backend/queue).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::framework::PodInfo;

/// Upstream's podInitialBackoffDuration and podMaxBackoffDuration.
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Upstream's podMaxInUnschedulablePodsDuration.
pub const MAX_IN_UNSCHEDULABLE: Duration = Duration::from_secs(300);

/// A pod handed out by [`SchedulingQueue::pop`].
#[derive(Clone, Debug)]
pub struct QueuedPod {
    pub info: Arc<PodInfo>,
    /// Scheduling attempts so far, this one included.
    pub attempts: u32,
    /// The scheduling cycle this attempt belongs to.
    pub cycle: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Where {
    Active,
    Backoff(Instant),
    Unschedulable(Instant),
}

struct Entry {
    info: Arc<PodInfo>,
    attempts: u32,
    last_failure: Option<Instant>,
    seq: u64,
    place: Where,
}

/// A popped pod: being scheduled or bound. Updates and deletes are recorded here.
struct InFlight {
    info: Arc<PodInfo>,
    attempts: u32,
    deleted: bool,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    active: BTreeSet<(Reverse<i32>, u64, String)>,
    backoff: BTreeSet<(Instant, String)>,
    in_flight: HashMap<String, InFlight>,
    seq: u64,
    cycle: u64,
    move_request_cycle: u64,
}

/// The queue of pods waiting for a node.
#[derive(Default)]
pub struct SchedulingQueue {
    inner: Mutex<Inner>,
    notify: Notify,
}

fn backoff_for(attempts: u32) -> Duration {
    let shift = attempts.saturating_sub(1).min(16);
    (INITIAL_BACKOFF * (1u32 << shift)).min(MAX_BACKOFF)
}

impl Inner {
    fn push_active(
        &mut self,
        uid: String,
        info: Arc<PodInfo>,
        attempts: u32,
        last: Option<Instant>,
    ) {
        self.seq += 1;
        let seq = self.seq;
        self.active
            .insert((Reverse(info.priority), seq, uid.clone()));
        self.entries.insert(
            uid,
            Entry {
                info,
                attempts,
                last_failure: last,
                seq,
                place: Where::Active,
            },
        );
    }

    fn unlink(&mut self, uid: &str) -> Option<Entry> {
        let e = self.entries.remove(uid)?;
        match e.place {
            Where::Active => {
                self.active
                    .remove(&(Reverse(e.info.priority), e.seq, uid.to_string()));
            }
            Where::Backoff(t) => {
                self.backoff.remove(&(t, uid.to_string()));
            }
            Where::Unschedulable(_) => {}
        }
        Some(e)
    }

    /// Active if its backoff is over, else backoffQ.
    fn requeue(&mut self, uid: String, info: Arc<PodInfo>, attempts: u32, last: Option<Instant>) {
        let until = last.map(|t| t + backoff_for(attempts));
        match until {
            Some(until) if until > Instant::now() => {
                self.seq += 1;
                self.backoff.insert((until, uid.clone()));
                self.entries.insert(
                    uid,
                    Entry {
                        info,
                        attempts,
                        last_failure: last,
                        seq: self.seq,
                        place: Where::Backoff(until),
                    },
                );
            }
            _ => self.push_active(uid, info, attempts, last),
        }
    }

    fn flush_backoff(&mut self) {
        let now = Instant::now();
        while let Some((t, uid)) = self.backoff.first().cloned() {
            if t > now {
                break;
            }
            if let Some(e) = self.unlink(&uid) {
                self.push_active(uid, e.info, e.attempts, e.last_failure);
            } else {
                self.backoff.pop_first();
            }
        }
    }
}

/// Whether an update of a pending pod may change where it fits (upstream skips pod
/// updates that touch only status and bookkeeping metadata).
fn scheduling_relevant_change(old: &PodInfo, new: &PodInfo) -> bool {
    old.pod.spec != new.pod.spec
        || old.pod.metadata.labels != new.pod.metadata.labels
        || old.pod.metadata.annotations != new.pod.metadata.annotations
}

impl SchedulingQueue {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a new pending pod or updates a queued one.
    pub fn add_or_update(&self, info: Arc<PodInfo>) {
        let uid = info.uid.clone();
        let mut q = self.lock();
        if let Some(f) = q.in_flight.get_mut(&uid) {
            f.info = info;
            return;
        }
        let Some(e) = q.entries.get_mut(&uid) else {
            q.push_active(uid, info, 0, None);
            drop(q);
            self.notify.notify_one();
            return;
        };
        let parked = matches!(e.place, Where::Unschedulable(_));
        if parked && scheduling_relevant_change(&e.info, &info) {
            if let Some(e) = q.unlink(&uid) {
                q.requeue(uid, info, e.attempts, e.last_failure);
            }
            drop(q);
            self.notify.notify_one();
            return;
        }
        // Otherwise it keeps its place, with the newer object.
        if e.place == Where::Active && e.info.priority != info.priority {
            if let Some(e) = q.unlink(&uid) {
                q.push_active(uid, info, e.attempts, e.last_failure);
            }
        } else {
            e.info = info;
        }
    }

    /// Removes a pod (deleted, bound by someone, or no longer ours).
    pub fn delete(&self, uid: &str) {
        let mut q = self.lock();
        if let Some(f) = q.in_flight.get_mut(uid) {
            f.deleted = true;
        }
        q.unlink(uid);
    }

    /// Waits for the next pod to schedule.
    pub async fn pop(&self) -> QueuedPod {
        loop {
            let wait = {
                let mut q = self.lock();
                q.flush_backoff();
                if let Some((_, _, uid)) = q.active.pop_first() {
                    if let Some(e) = q.entries.remove(&uid) {
                        q.cycle += 1;
                        let attempts = e.attempts + 1;
                        q.in_flight.insert(
                            uid,
                            InFlight {
                                info: e.info.clone(),
                                attempts,
                                deleted: false,
                            },
                        );
                        return QueuedPod {
                            info: e.info,
                            attempts,
                            cycle: q.cycle,
                        };
                    }
                    continue;
                }
                q.backoff
                    .first()
                    .map(|(t, _)| t.saturating_duration_since(Instant::now()))
                    .unwrap_or(Duration::from_secs(1))
            };
            tokio::select! {
                _ = self.notify.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The attempt is over (bound, or failed and requeued).
    pub fn done(&self, uid: &str) {
        self.lock().in_flight.remove(uid);
    }

    /// A pod that fit nowhere: parked until the cluster changes, or to backoffQ when the
    /// cluster changed while it was being scheduled. Ends the in-flight state.
    pub fn add_unschedulable(&self, uid: &str, cycle: u64) {
        self.requeue_failed(uid, Some(cycle));
    }

    /// A pod whose attempt failed for another reason (binding error): to backoffQ.
    pub fn add_backoff(&self, uid: &str) {
        self.requeue_failed(uid, None);
    }

    fn requeue_failed(&self, uid: &str, cycle: Option<u64>) {
        let mut q = self.lock();
        let Some(f) = q.in_flight.remove(uid) else {
            return;
        };
        if f.deleted || q.entries.contains_key(uid) {
            return;
        }
        let now = Instant::now();
        match cycle {
            Some(c) if q.move_request_cycle < c => {
                q.seq += 1;
                let seq = q.seq;
                q.entries.insert(
                    uid.to_string(),
                    Entry {
                        info: f.info,
                        attempts: f.attempts,
                        last_failure: Some(now),
                        seq,
                        place: Where::Unschedulable(now),
                    },
                );
            }
            _ => q.requeue(uid.to_string(), f.info, f.attempts, Some(now)),
        }
        drop(q);
        self.notify.notify_one();
    }

    /// The cluster changed (node added or updated, pod deleted): retry parked pods.
    pub fn move_all_to_active_or_backoff(&self) {
        self.move_where(|_| true);
    }

    /// Retries pods parked longer than [`MAX_IN_UNSCHEDULABLE`].
    pub fn flush_unschedulable_left_over(&self) {
        let now = Instant::now();
        self.move_where(|since| now.duration_since(since) > MAX_IN_UNSCHEDULABLE);
    }

    fn move_where(&self, pick: impl Fn(Instant) -> bool) {
        let mut q = self.lock();
        q.move_request_cycle = q.cycle;
        let parked: Vec<String> = q
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.place, Where::Unschedulable(since) if pick(since)))
            .map(|(uid, _)| uid.clone())
            .collect();
        if parked.is_empty() {
            return;
        }
        for uid in parked {
            if let Some(e) = q.unlink(&uid) {
                q.requeue(uid, e.info, e.attempts, e.last_failure);
            }
        }
        drop(q);
        self.notify.notify_one();
    }

    /// Uids of queued and in-flight pods (for reconciling after a re-list).
    pub fn uids(&self) -> Vec<String> {
        let q = self.lock();
        q.entries
            .keys()
            .chain(q.in_flight.keys())
            .cloned()
            .collect()
    }

    /// Pods waiting: (active, backoff, unschedulable).
    pub fn lengths(&self) -> (usize, usize, usize) {
        let q = self.lock();
        let unsched = q
            .entries
            .values()
            .filter(|e| matches!(e.place, Where::Unschedulable(_)))
            .count();
        (q.active.len(), q.backoff.len(), unsched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Pod, PodSpec};

    fn info(uid: &str, priority: i32) -> Arc<PodInfo> {
        let mut p = Pod {
            spec: Some(PodSpec {
                priority: Some(priority),
                ..Default::default()
            }),
            ..Default::default()
        };
        p.metadata.uid = Some(uid.into());
        Arc::new(PodInfo::new(Arc::new(p)))
    }

    #[tokio::test]
    async fn priority_then_fifo() {
        let q = SchedulingQueue::default();
        q.add_or_update(info("a", 0));
        q.add_or_update(info("b", 10));
        q.add_or_update(info("c", 0));
        let order: Vec<String> = [q.pop().await, q.pop().await, q.pop().await]
            .iter()
            .map(|p| p.info.uid.clone())
            .collect();
        assert_eq!(order, ["b", "a", "c"]);
    }

    #[tokio::test]
    async fn unschedulable_waits_for_a_cluster_event() {
        let q = SchedulingQueue::default();
        q.add_or_update(info("a", 0));
        let p = q.pop().await;
        q.add_unschedulable("a", p.cycle);
        assert_eq!(q.lengths(), (0, 0, 1));
        // A status-only update does not move it.
        q.add_or_update(info("a", 0));
        assert_eq!(q.lengths(), (0, 0, 1));
        q.move_all_to_active_or_backoff();
        assert_eq!(q.lengths(), (0, 1, 0), "first failure backs off 1s");
        tokio::time::timeout(Duration::from_secs(3), q.pop())
            .await
            .expect("popped after backoff");
    }

    #[tokio::test]
    async fn cluster_change_during_attempt_goes_to_backoff() {
        let q = SchedulingQueue::default();
        q.add_or_update(info("a", 0));
        let p = q.pop().await;
        q.move_all_to_active_or_backoff();
        q.add_unschedulable("a", p.cycle);
        assert_eq!(q.lengths(), (0, 1, 0));
    }

    #[tokio::test]
    async fn deleted_while_in_flight_is_dropped() {
        let q = SchedulingQueue::default();
        q.add_or_update(info("a", 0));
        let p = q.pop().await;
        q.delete("a");
        q.add_unschedulable("a", p.cycle);
        assert_eq!(q.lengths(), (0, 0, 0));
        assert!(q.uids().is_empty());
    }
}
