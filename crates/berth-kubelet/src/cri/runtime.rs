//! RuntimeService calls: version and status, pod sandboxes, containers, exec, streaming URLs.

use std::time::Duration;

use super::api;
use super::{CriClient, CriError};

impl CriClient {
    /// `Version`: runtime name, runtime version and CRI version (`v1`).
    pub async fn version(&self) -> Result<api::VersionResponse, CriError> {
        let request = self.request(
            api::VersionRequest {
                version: "v1".to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().version(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("Version", status)),
        }
    }

    /// `Status`: the runtime's conditions (RuntimeReady, NetworkReady).
    pub async fn status(&self, verbose: bool) -> Result<api::StatusResponse, CriError> {
        let request = self.request(api::StatusRequest { verbose }, Duration::ZERO);
        match self.runtime.clone().status(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("Status", status)),
        }
    }

    /// `UpdateRuntimeConfig`: tells the runtime the node's pod CIDR.
    pub async fn update_pod_cidr(&self, pod_cidr: &str) -> Result<(), CriError> {
        let request = self.request(
            api::UpdateRuntimeConfigRequest {
                runtime_config: Some(api::RuntimeConfig {
                    network_config: Some(api::NetworkConfig {
                        pod_cidr: pod_cidr.to_string(),
                    }),
                }),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().update_runtime_config(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("UpdateRuntimeConfig", status)),
        }
    }

    /// `RunPodSandbox`: creates and starts a sandbox; returns its id.
    pub async fn run_pod_sandbox(
        &self,
        config: api::PodSandboxConfig,
        runtime_handler: &str,
    ) -> Result<String, CriError> {
        let request = self.request(
            api::RunPodSandboxRequest {
                config: Some(config),
                runtime_handler: runtime_handler.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().run_pod_sandbox(request).await {
            Ok(response) => Ok(response.into_inner().pod_sandbox_id),
            Err(status) => Err(self.error("RunPodSandbox", status)),
        }
    }

    /// `StopPodSandbox`: stops the sandbox's processes and releases its network.
    pub async fn stop_pod_sandbox(&self, pod_sandbox_id: &str) -> Result<(), CriError> {
        let request = self.request(
            api::StopPodSandboxRequest {
                pod_sandbox_id: pod_sandbox_id.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().stop_pod_sandbox(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("StopPodSandbox", status)),
        }
    }

    /// `RemovePodSandbox`: removes a stopped sandbox and its containers.
    pub async fn remove_pod_sandbox(&self, pod_sandbox_id: &str) -> Result<(), CriError> {
        let request = self.request(
            api::RemovePodSandboxRequest {
                pod_sandbox_id: pod_sandbox_id.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().remove_pod_sandbox(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("RemovePodSandbox", status)),
        }
    }

    /// `PodSandboxStatus`.
    pub async fn pod_sandbox_status(
        &self,
        pod_sandbox_id: &str,
        verbose: bool,
    ) -> Result<api::PodSandboxStatusResponse, CriError> {
        let request = self.request(
            api::PodSandboxStatusRequest {
                pod_sandbox_id: pod_sandbox_id.to_string(),
                verbose,
            },
            Duration::ZERO,
        );
        match self.runtime.clone().pod_sandbox_status(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("PodSandboxStatus", status)),
        }
    }

    /// `ListPodSandbox`.
    pub async fn list_pod_sandbox(
        &self,
        filter: Option<api::PodSandboxFilter>,
    ) -> Result<Vec<api::PodSandbox>, CriError> {
        let request = self.request(api::ListPodSandboxRequest { filter }, Duration::ZERO);
        match self.runtime.clone().list_pod_sandbox(request).await {
            Ok(response) => Ok(response.into_inner().items),
            Err(status) => Err(self.error("ListPodSandbox", status)),
        }
    }

    /// `CreateContainer` in a sandbox; returns the container's id.
    pub async fn create_container(
        &self,
        pod_sandbox_id: &str,
        config: api::ContainerConfig,
        sandbox_config: api::PodSandboxConfig,
    ) -> Result<String, CriError> {
        let request = self.request(
            api::CreateContainerRequest {
                pod_sandbox_id: pod_sandbox_id.to_string(),
                config: Some(config),
                sandbox_config: Some(sandbox_config),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().create_container(request).await {
            Ok(response) => Ok(response.into_inner().container_id),
            Err(status) => Err(self.error("CreateContainer", status)),
        }
    }

    /// `StartContainer`.
    pub async fn start_container(&self, container_id: &str) -> Result<(), CriError> {
        let request = self.request(
            api::StartContainerRequest {
                container_id: container_id.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().start_container(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("StartContainer", status)),
        }
    }

    /// `StopContainer`: SIGTERM (or the image's stop signal), SIGKILL after
    /// `grace_period`. The call's deadline is extended by the grace period.
    pub async fn stop_container(
        &self,
        container_id: &str,
        grace_period: Duration,
    ) -> Result<(), CriError> {
        let request = self.request(
            api::StopContainerRequest {
                container_id: container_id.to_string(),
                timeout: grace_period.as_secs() as i64,
            },
            grace_period,
        );
        match self.runtime.clone().stop_container(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("StopContainer", status)),
        }
    }

    /// `RemoveContainer`.
    pub async fn remove_container(&self, container_id: &str) -> Result<(), CriError> {
        let request = self.request(
            api::RemoveContainerRequest {
                container_id: container_id.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().remove_container(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("RemoveContainer", status)),
        }
    }

    /// `ListContainers`.
    pub async fn list_containers(
        &self,
        filter: Option<api::ContainerFilter>,
    ) -> Result<Vec<api::Container>, CriError> {
        let request = self.request(api::ListContainersRequest { filter }, Duration::ZERO);
        match self.runtime.clone().list_containers(request).await {
            Ok(response) => Ok(response.into_inner().containers),
            Err(status) => Err(self.error("ListContainers", status)),
        }
    }

    /// `ContainerStatus`.
    pub async fn container_status(
        &self,
        container_id: &str,
        verbose: bool,
    ) -> Result<api::ContainerStatusResponse, CriError> {
        let request = self.request(
            api::ContainerStatusRequest {
                container_id: container_id.to_string(),
                verbose,
            },
            Duration::ZERO,
        );
        match self.runtime.clone().container_status(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("ContainerStatus", status)),
        }
    }

    /// `ReopenContainerLog`: after the kubelet rotated a container's log file.
    pub async fn reopen_container_log(&self, container_id: &str) -> Result<(), CriError> {
        let request = self.request(
            api::ReopenContainerLogRequest {
                container_id: container_id.to_string(),
            },
            Duration::ZERO,
        );
        match self.runtime.clone().reopen_container_log(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("ReopenContainerLog", status)),
        }
    }

    /// `ExecSync`: runs `cmd` in the container and returns its output and exit code
    /// (exec probes). `timeout` zero means no limit on the command.
    pub async fn exec_sync(
        &self,
        container_id: &str,
        cmd: Vec<String>,
        timeout: Duration,
    ) -> Result<api::ExecSyncResponse, CriError> {
        let request = self.request(
            api::ExecSyncRequest {
                container_id: container_id.to_string(),
                cmd,
                timeout: timeout.as_secs() as i64,
            },
            timeout,
        );
        match self.runtime.clone().exec_sync(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("ExecSync", status)),
        }
    }

    /// `Exec`: the URL of the runtime's streaming server for an interactive exec.
    pub async fn exec(&self, request: api::ExecRequest) -> Result<String, CriError> {
        let request = self.request(request, Duration::ZERO);
        match self.runtime.clone().exec(request).await {
            Ok(response) => Ok(response.into_inner().url),
            Err(status) => Err(self.error("Exec", status)),
        }
    }

    /// `Attach`: the streaming URL to attach to a container's process.
    pub async fn attach(&self, request: api::AttachRequest) -> Result<String, CriError> {
        let request = self.request(request, Duration::ZERO);
        match self.runtime.clone().attach(request).await {
            Ok(response) => Ok(response.into_inner().url),
            Err(status) => Err(self.error("Attach", status)),
        }
    }

    /// `PortForward`: the streaming URL to forward ports into a sandbox's network.
    pub async fn port_forward(
        &self,
        pod_sandbox_id: &str,
        ports: Vec<i32>,
    ) -> Result<String, CriError> {
        let request = self.request(
            api::PortForwardRequest {
                pod_sandbox_id: pod_sandbox_id.to_string(),
                port: ports,
            },
            Duration::ZERO,
        );
        match self.runtime.clone().port_forward(request).await {
            Ok(response) => Ok(response.into_inner().url),
            Err(status) => Err(self.error("PortForward", status)),
        }
    }

    /// `ListContainerStats`.
    pub async fn list_container_stats(
        &self,
        filter: Option<api::ContainerStatsFilter>,
    ) -> Result<Vec<api::ContainerStats>, CriError> {
        let request = self.request(api::ListContainerStatsRequest { filter }, Duration::ZERO);
        match self.runtime.clone().list_container_stats(request).await {
            Ok(response) => Ok(response.into_inner().stats),
            Err(status) => Err(self.error("ListContainerStats", status)),
        }
    }
}
