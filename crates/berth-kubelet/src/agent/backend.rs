//! What the agent's HTTPS server ([`crate::server`]) needs from the agent: a pod's
//! containers and sandbox by namespace and name, found among this node's pod workers
//! and the runtime's containers (kubelet's `GetContainerLogs`/`GetExec` lookups).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::worker::{PodUpdate, LABEL_CONTAINER_NAME, LABEL_POD_UID};
use super::Shared;
use crate::cri::{api, CriClient};
use crate::server::{ContainerRef, NodeBackend, StreamError};

/// The agent as the streaming server's backend.
pub struct AgentBackend(pub Arc<Shared>);

impl AgentBackend {
    fn pod(&self, ns: &str, name: &str) -> Result<Pod, StreamError> {
        let workers = self.0.workers.lock().unwrap_or_else(|e| e.into_inner());
        for (tx, _) in workers.values() {
            if let PodUpdate::Pod(p) = &*tx.borrow() {
                if p.metadata.namespace.as_deref() == Some(ns)
                    && p.metadata.name.as_deref() == Some(name)
                {
                    return Ok((**p).clone());
                }
            }
        }
        Err(StreamError::not_found(format!("pod \"{name}\" not found")))
    }
}

#[async_trait::async_trait]
impl NodeBackend for AgentBackend {
    fn cri(&self) -> CriClient {
        self.0.cri.clone()
    }

    async fn container(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Result<ContainerRef, StreamError> {
        let p = self.pod(ns, pod)?;
        let uid = p.metadata.uid.clone().unwrap_or_default();
        let spec = p.spec.clone().unwrap_or_default();
        if !spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .any(|c| c.name == container)
        {
            return Err(StreamError::bad_request(format!(
                "container {container} is not valid for pod {pod}"
            )));
        }
        let filter = api::ContainerFilter {
            label_selector: HashMap::from([
                (LABEL_POD_UID.to_string(), uid),
                (LABEL_CONTAINER_NAME.to_string(), container.to_string()),
            ]),
            ..Default::default()
        };
        let mut list = self
            .0
            .cri
            .list_containers(Some(filter))
            .await
            .map_err(|e| StreamError::internal(e.to_string()))?;
        list.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        let Some(latest) = list.first() else {
            return Err(StreamError::bad_request(format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            )));
        };
        let log_path = |id: &str| {
            let cri = self.0.cri.clone();
            let id = id.to_string();
            async move {
                cri.container_status(&id, false)
                    .await
                    .ok()
                    .and_then(|s| s.status)
                    .map(|s| PathBuf::from(s.log_path))
            }
        };
        let current = log_path(&latest.id).await.unwrap_or_default();
        let previous = match list.get(1) {
            Some(c) => log_path(&c.id).await,
            None => None,
        };
        Ok(ContainerRef {
            id: latest.id.clone(),
            log_path: current,
            previous_log_path: previous,
            running: latest.state == api::ContainerState::ContainerRunning as i32,
        })
    }

    async fn sandbox(&self, ns: &str, pod: &str) -> Result<String, StreamError> {
        let p = self.pod(ns, pod)?;
        let filter = api::PodSandboxFilter {
            label_selector: HashMap::from([(
                LABEL_POD_UID.to_string(),
                p.metadata.uid.clone().unwrap_or_default(),
            )]),
            ..Default::default()
        };
        let list = self
            .0
            .cri
            .list_pod_sandbox(Some(filter))
            .await
            .map_err(|e| StreamError::internal(e.to_string()))?;
        list.into_iter()
            .find(|s| s.state == api::PodSandboxState::SandboxReady as i32)
            .map(|s| s.id)
            .ok_or_else(|| StreamError::bad_request(format!("pod {pod} is not running")))
    }
}
