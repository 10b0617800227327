//! A deduplicating work queue of object keys (client-go's workqueue): a key is held at
//! most once, is never handed to two workers at once, and is requeued after a delay on error.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    queue: VecDeque<String>,
    /// Keys waiting in `queue` (or waiting for their worker to finish, see `dirty`).
    queued: HashSet<String>,
    /// Keys a worker is syncing now.
    processing: HashSet<String>,
    /// Consecutive failures per key, for the retry backoff.
    failures: HashMap<String, u32>,
}

/// Keys to sync, shared by the event handlers and the workers of one controller.
#[derive(Default)]
pub struct WorkQueue {
    inner: Mutex<Inner>,
    notify: Notify,
}

impl WorkQueue {
    /// Adds `key` unless it is already waiting.
    pub fn add(&self, key: String) {
        let Ok(mut q) = self.inner.lock() else {
            return;
        };
        if !q.queued.insert(key.clone()) {
            return;
        }
        // A key being processed goes back in the queue when its worker calls `done`.
        if !q.processing.contains(&key) {
            q.queue.push_back(key);
            drop(q);
            self.notify.notify_one();
        }
    }

    /// Adds `key` after `delay`.
    pub fn add_after(self: &Arc<Self>, key: String, delay: Duration) {
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            q.add(key);
        });
    }

    /// Adds `key` again after a backoff that doubles with each consecutive failure
    /// (from 100 ms up to 30 s).
    pub fn add_rate_limited(self: &Arc<Self>, key: String) {
        let n = match self.inner.lock() {
            Ok(mut q) => {
                let n = q.failures.entry(key.clone()).or_insert(0);
                *n = n.saturating_add(1);
                *n
            }
            Err(_) => 1,
        };
        let delay = Duration::from_millis(100u64.saturating_mul(1 << (n - 1).min(9)));
        self.add_after(key, delay.min(Duration::from_secs(30)));
    }

    /// Clears the failure count of `key` after a successful sync.
    pub fn forget(&self, key: &str) {
        if let Ok(mut q) = self.inner.lock() {
            q.failures.remove(key);
        }
    }

    /// Waits for the next key; the caller must call [`WorkQueue::done`] with it.
    pub async fn get(&self) -> String {
        loop {
            let notified = self.notify.notified();
            if let Ok(mut q) = self.inner.lock() {
                if let Some(key) = q.queue.pop_front() {
                    q.queued.remove(&key);
                    q.processing.insert(key.clone());
                    if !q.queue.is_empty() {
                        self.notify.notify_one();
                    }
                    return key;
                }
            }
            notified.await;
        }
    }

    /// Marks `key` as synced; if it was added meanwhile it is queued again.
    pub fn done(&self, key: &str) {
        let Ok(mut q) = self.inner.lock() else {
            return;
        };
        q.processing.remove(key);
        if q.queued.contains(key) {
            q.queue.push_back(key.to_string());
            drop(q);
            self.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dedups_and_holds_keys_being_processed() {
        let q = WorkQueue::default();
        q.add("a".into());
        q.add("a".into());
        q.add("b".into());
        assert_eq!(q.get().await, "a");
        // "a" is being processed: adding it again must not hand it to another worker.
        q.add("a".into());
        assert_eq!(q.get().await, "b");
        let pending = tokio::time::timeout(Duration::from_millis(50), q.get()).await;
        assert!(
            pending.is_err(),
            "a key being processed was handed out twice"
        );
        q.done("a");
        assert_eq!(q.get().await, "a");
    }
}
