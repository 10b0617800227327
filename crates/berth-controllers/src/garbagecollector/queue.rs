//! A deduplicating work queue with per-item exponential retry delays, as client-go's
//! rate-limited workqueue: an item is never handled by two workers at once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

const BASE_DELAY: Duration = Duration::from_millis(5);
const MAX_DELAY: Duration = Duration::from_secs(60);

struct State<T> {
    queue: VecDeque<T>,
    /// Items waiting to be handled (queued, or to be queued once their handling ends).
    dirty: HashSet<T>,
    processing: HashSet<T>,
    failures: HashMap<T, u32>,
}

/// The queue; clone the `Arc` to share it.
pub struct Queue<T> {
    state: Mutex<State<T>>,
    notify: Notify,
}

impl<T: Hash + Eq + Clone + Send + Sync + 'static> Queue<T> {
    pub fn new() -> Arc<Queue<T>> {
        Arc::new(Queue {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                dirty: HashSet::new(),
                processing: HashSet::new(),
                failures: HashMap::new(),
            }),
            notify: Notify::new(),
        })
    }

    pub fn add(&self, item: T) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if !s.dirty.insert(item.clone()) {
            return;
        }
        if s.processing.contains(&item) {
            return;
        }
        s.queue.push_back(item);
        drop(s);
        self.notify.notify_one();
    }

    /// Waits for the next item; call [`Queue::done`] when finished with it.
    pub async fn get(&self) -> T {
        loop {
            if let Ok(mut s) = self.state.lock() {
                if let Some(item) = s.queue.pop_front() {
                    s.dirty.remove(&item);
                    s.processing.insert(item.clone());
                    if !s.queue.is_empty() {
                        // let another worker take the rest
                        self.notify.notify_one();
                    }
                    return item;
                }
            }
            self.notify.notified().await;
        }
    }

    /// Ends the handling of `item`; it is queued again if it was added meanwhile.
    pub fn done(&self, item: &T) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        s.processing.remove(item);
        if s.dirty.contains(item) {
            s.queue.push_back(item.clone());
            drop(s);
            self.notify.notify_one();
        }
    }

    /// Forgets the failures of `item` (it succeeded).
    pub fn forget(&self, item: &T) {
        if let Ok(mut s) = self.state.lock() {
            s.failures.remove(item);
        }
    }

    /// Adds `item` again after a delay that doubles with each failure.
    pub fn add_rate_limited(self: &Arc<Self>, item: T) {
        let n = match self.state.lock() {
            Ok(mut s) => {
                let f = s.failures.entry(item.clone()).or_insert(0);
                *f += 1;
                *f
            }
            Err(_) => 1,
        };
        let delay = BASE_DELAY
            .saturating_mul(1u32 << (n - 1).min(20))
            .min(MAX_DELAY);
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            q.add(item);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_are_deduplicated_and_requeued_after_done() {
        let q: Arc<Queue<u32>> = Queue::new();
        q.add(1);
        q.add(1);
        q.add(2);
        let a = q.get().await;
        assert_eq!(a, 1);
        // added while being handled: comes back once done, not before
        q.add(1);
        assert_eq!(q.get().await, 2);
        q.done(&2);
        q.done(&1);
        assert_eq!(q.get().await, 1);
        q.done(&1);
        let next = tokio::time::timeout(Duration::from_millis(50), q.get()).await;
        assert!(next.is_err(), "queue should be empty");
    }
}
