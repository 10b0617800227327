//! etcd backend: the `Store` trait mapped onto etcd v3 ranges, transactions and watches.
//!
//! Every operation is one etcd request (plus a read for error details), so several berth
//! servers can share one etcd cluster: nothing process-local is needed for correctness.
//! The compact revision is not readable from etcd, so `compact` also records it, as
//! kube-apiserver does, in the key [`COMPACT_REVISION_KEY`] (a write: it bumps the revision).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType, GetOptions, KvClient,
    PutOptions, Txn, TxnOp, TxnOpResponse, WatchOptions,
};

use crate::keys::{prefix_end, range_start};
use crate::{
    Event, KeyValue, RangeResponse, Result, Revision, Store, StoreError, TxnOutcome, WatchStream,
};

/// The key where `compact` records the compact revision (decimal text).
pub const COMPACT_REVISION_KEY: &str = "berth/compact-revision";

/// Largest response accepted from etcd (a full list of a big resource can exceed gRPC's 4 MiB default).
const MAX_MESSAGE: usize = 512 << 20;

/// A store backed by an etcd v3 cluster.
pub struct EtcdStore {
    client: Client,
    endpoints: Vec<String>,
}

impl EtcdStore {
    /// Connects to etcd at `endpoints` (`http://host:port`) and checks that it answers.
    pub async fn connect(endpoints: &[String]) -> Result<Arc<EtcdStore>> {
        let options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(10));
        let client = Client::connect(endpoints, Some(options))
            .await
            .map_err(|e| {
                StoreError::Backend(format!(
                    "cannot connect to etcd at {}: {e}",
                    endpoints.join(",")
                ))
            })?;
        let store = EtcdStore {
            client,
            endpoints: endpoints.to_vec(),
        };
        let mut kv = store.kv();
        match tokio::time::timeout(Duration::from_secs(10), kv.get(COMPACT_REVISION_KEY, None)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(store.error(e)),
            Err(_) => {
                return Err(StoreError::Backend(format!(
                    "etcd at {} did not answer within 10s: check --datastore-endpoint and that etcd runs",
                    endpoints.join(",")
                )))
            }
        }
        tracing::info!(endpoints = %endpoints.join(","), "connected to etcd");
        Ok(Arc::new(store))
    }

    fn kv(&self) -> KvClient {
        self.client
            .kv_client()
            .max_decoding_message_size(MAX_MESSAGE)
    }

    fn error(&self, e: etcd_client::Error) -> StoreError {
        StoreError::Backend(format!("etcd ({}): {e}", self.endpoints.join(",")))
    }

    /// Maps etcd's revision errors to `Compacted`/`FutureRevision`, reading what they lack.
    async fn revision_error(&self, e: etcd_client::Error, requested: Revision) -> StoreError {
        match revision_error_kind(&e) {
            Some(RevisionError::Compacted) => StoreError::Compacted {
                requested,
                compact_revision: self.revisions().await.map(|(_, c)| c).unwrap_or(0),
            },
            Some(RevisionError::Future) => StoreError::FutureRevision {
                requested,
                current: self.revisions().await.map(|(c, _)| c).unwrap_or(0),
            },
            None => self.error(e),
        }
    }

    /// Records `revision` as the compact revision unless a larger one is recorded.
    async fn record_compact_revision(&self, revision: Revision) -> Result<()> {
        let mut kv = self.kv();
        loop {
            let resp = kv
                .get(COMPACT_REVISION_KEY, None)
                .await
                .map_err(|e| self.error(e))?;
            let (recorded, compare) = match resp.kvs().first() {
                Some(current) => (
                    parse_revision(current.value()),
                    Compare::mod_revision(
                        COMPACT_REVISION_KEY,
                        CompareOp::Equal,
                        current.mod_revision(),
                    ),
                ),
                None => (
                    0,
                    Compare::create_revision(COMPACT_REVISION_KEY, CompareOp::Equal, 0),
                ),
            };
            if recorded >= revision {
                return Ok(());
            }
            let txn = Txn::new().when([compare]).and_then([TxnOp::put(
                COMPACT_REVISION_KEY,
                revision.to_string(),
                None,
            )]);
            if kv.txn(txn).await.map_err(|e| self.error(e))?.succeeded() {
                return Ok(());
            }
        }
    }
}

enum RevisionError {
    Compacted,
    Future,
}

fn revision_error_kind(e: &etcd_client::Error) -> Option<RevisionError> {
    let message = match e {
        etcd_client::Error::GRpcStatus(status) => status.message(),
        _ => return None,
    };
    if message.contains("required revision has been compacted") {
        Some(RevisionError::Compacted)
    } else if message.contains("required revision is a future revision") {
        Some(RevisionError::Future)
    } else {
        None
    }
}

fn parse_revision(value: &[u8]) -> Revision {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn convert(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: kv.value().to_vec(),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    }
}

/// The etcd range `[key, range_end)` for keys under `prefix` starting at `start`.
/// etcd rejects an empty key; `"\0"` as range end means "to the last key".
fn etcd_range(prefix: &str, start: &str) -> (Vec<u8>, Vec<u8>) {
    let mut key = range_start(prefix, start).as_bytes().to_vec();
    if key.is_empty() {
        key.push(0);
    }
    (
        key,
        prefix_end(prefix.as_bytes()).unwrap_or_else(|| vec![0]),
    )
}

/// The current value from the `or_else` get of a failed transaction.
fn conflict_value(resp: &etcd_client::TxnResponse) -> Option<KeyValue> {
    resp.op_responses().iter().find_map(|op| match op {
        TxnOpResponse::Get(get) => get.kvs().first().map(convert),
        _ => None,
    })
}

fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> Revision {
    header.map(|h| h.revision()).unwrap_or(0)
}

#[async_trait]
impl Store for EtcdStore {
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, Revision)> {
        let resp = self.kv().get(key, None).await.map_err(|e| self.error(e))?;
        Ok((
            resp.kvs().first().map(convert),
            header_revision(resp.header()),
        ))
    }

    async fn list(
        &self,
        prefix: &str,
        start: &str,
        limit: usize,
        revision: Revision,
    ) -> Result<RangeResponse> {
        let (key, end) = etcd_range(prefix, start);
        let options = GetOptions::new()
            .with_range(end)
            .with_limit(limit as i64)
            .with_revision(revision);
        let resp = match self.kv().get(key, Some(options)).await {
            Ok(resp) => resp,
            Err(e) => return Err(self.revision_error(e, revision).await),
        };
        let served_at = if revision == 0 {
            header_revision(resp.header())
        } else {
            revision
        };
        Ok(RangeResponse {
            kvs: resp.kvs().iter().map(convert).collect(),
            more: resp.more(),
            revision: served_at,
        })
    }

    async fn count(&self, prefix: &str) -> Result<i64> {
        let (key, end) = etcd_range(prefix, "");
        let options = GetOptions::new().with_range(end).with_count_only();
        let resp = self
            .kv()
            .get(key, Some(options))
            .await
            .map_err(|e| self.error(e))?;
        Ok(resp.count())
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<TxnOutcome<KeyValue>> {
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value.clone(), None)])
            .or_else([TxnOp::get(key, None)]);
        let resp = self.kv().txn(txn).await.map_err(|e| self.error(e))?;
        if !resp.succeeded() {
            return Ok(TxnOutcome::Conflict(conflict_value(&resp)));
        }
        let revision = header_revision(resp.header());
        Ok(TxnOutcome::Applied(KeyValue {
            key: key.to_string(),
            value,
            create_revision: revision,
            mod_revision: revision,
        }))
    }

    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: Revision,
    ) -> Result<TxnOutcome<KeyValue>> {
        // `version > 0`: the key must exist (a missing key has mod_revision 0).
        let txn = Txn::new()
            .when([
                Compare::version(key, CompareOp::Greater, 0),
                Compare::mod_revision(key, CompareOp::Equal, expected),
            ])
            .and_then([TxnOp::put(
                key,
                value.clone(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let resp = self.kv().txn(txn).await.map_err(|e| self.error(e))?;
        if !resp.succeeded() {
            return Ok(TxnOutcome::Conflict(conflict_value(&resp)));
        }
        let create_revision = resp
            .op_responses()
            .iter()
            .find_map(|op| match op {
                TxnOpResponse::Put(put) => put.prev_key().map(|kv| kv.create_revision()),
                _ => None,
            })
            .ok_or_else(|| {
                StoreError::Backend("etcd: update did not return the previous key".into())
            })?;
        Ok(TxnOutcome::Applied(KeyValue {
            key: key.to_string(),
            value,
            create_revision,
            mod_revision: header_revision(resp.header()),
        }))
    }

    async fn delete(
        &self,
        key: &str,
        expected: Revision,
    ) -> Result<TxnOutcome<(KeyValue, Revision)>> {
        let mut compares = vec![Compare::version(key, CompareOp::Greater, 0)];
        if expected != 0 {
            compares.push(Compare::mod_revision(key, CompareOp::Equal, expected));
        }
        let txn = Txn::new()
            .when(compares)
            .and_then([TxnOp::delete(
                key,
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let resp = self.kv().txn(txn).await.map_err(|e| self.error(e))?;
        if !resp.succeeded() {
            return Ok(TxnOutcome::Conflict(conflict_value(&resp)));
        }
        let prev = resp
            .op_responses()
            .iter()
            .find_map(|op| match op {
                TxnOpResponse::Delete(delete) => delete.prev_kvs().first().map(convert),
                _ => None,
            })
            .ok_or_else(|| {
                StoreError::Backend("etcd: delete did not return the previous key".into())
            })?;
        Ok(TxnOutcome::Applied((prev, header_revision(resp.header()))))
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        let (key, end) = etcd_range(prefix, "");
        let mut options = WatchOptions::new().with_range(end.clone()).with_prev_key();
        if after != 0 {
            // etcd reports a compacted start revision only later, on the stream; ask first
            // so the caller gets the error now. A future revision is fine for a watch.
            let probe = GetOptions::new()
                .with_range(end)
                .with_revision(after + 1)
                .with_limit(1)
                .with_keys_only();
            if let Err(e) = self.kv().get(key.clone(), Some(probe)).await {
                match revision_error_kind(&e) {
                    Some(RevisionError::Compacted) => {
                        return Err(self.revision_error(e, after + 1).await)
                    }
                    Some(RevisionError::Future) => {}
                    None => return Err(self.error(e)),
                }
            }
            options = options.with_start_revision(after + 1);
        }
        let mut watch_client = self
            .client
            .watch_client()
            .max_decoding_message_size(MAX_MESSAGE);
        let (watcher, stream) = watch_client
            .watch(key, Some(options))
            .await
            .map_err(|e| self.error(e))?;
        let state = EtcdWatch {
            _watcher: watcher,
            stream,
            buffer: VecDeque::new(),
            last: after,
            done: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(
            state,
            |mut state| async move {
                let item = state.next().await?;
                Some((item, state))
            },
        )))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        if let Err(e) = self.kv().compact(revision, None).await {
            return Err(self.revision_error(e, revision).await);
        }
        self.record_compact_revision(revision).await
    }

    async fn revisions(&self) -> Result<(Revision, Revision)> {
        let resp = self
            .kv()
            .get(COMPACT_REVISION_KEY, None)
            .await
            .map_err(|e| self.error(e))?;
        let compacted = resp
            .kvs()
            .first()
            .map(|kv| parse_revision(kv.value()))
            .unwrap_or(0);
        Ok((header_revision(resp.header()), compacted))
    }
}

/// One etcd watch. Dropping it drops the `Watcher`, which closes the gRPC stream.
struct EtcdWatch {
    _watcher: etcd_client::Watcher,
    stream: etcd_client::WatchStream,
    buffer: VecDeque<Event>,
    last: Revision,
    done: bool,
}

impl EtcdWatch {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.buffer.pop_front() {
                self.last = event.revision();
                return Some(Ok(event));
            }
            let resp = match self.stream.message().await {
                Ok(Some(resp)) => resp,
                Ok(None) => {
                    return self.fail(StoreError::Backend("etcd closed the watch stream".into()))
                }
                Err(e) => return self.fail(StoreError::Backend(format!("etcd watch: {e}"))),
            };
            if resp.compact_revision() != 0 {
                return self.fail(StoreError::Compacted {
                    requested: self.last + 1,
                    compact_revision: resp.compact_revision(),
                });
            }
            if resp.canceled() {
                return self.fail(StoreError::Backend(format!(
                    "etcd canceled the watch: {}",
                    resp.cancel_reason()
                )));
            }
            for event in resp.events() {
                let Some(kv) = event.kv() else { continue };
                let prev = event.prev_kv().map(convert);
                self.buffer.push_back(match event.event_type() {
                    EventType::Put => Event::Put {
                        kv: convert(kv),
                        prev,
                    },
                    EventType::Delete => Event::Delete {
                        // prev_kv is missing only if its revision was compacted meanwhile.
                        prev: prev.unwrap_or_else(|| KeyValue {
                            key: String::from_utf8_lossy(kv.key()).into_owned(),
                            value: Vec::new(),
                            create_revision: 0,
                            mod_revision: 0,
                        }),
                        revision: kv.mod_revision(),
                    },
                });
            }
        }
    }

    fn fail(&mut self, error: StoreError) -> Option<Result<Event>> {
        self.done = true;
        Some(Err(error))
    }
}
