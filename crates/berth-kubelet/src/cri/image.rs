//! ImageService calls: pull, list, status, remove, image filesystem usage.

use std::time::Duration;

use super::api;
use super::{CriClient, CriError};

fn spec(image: &str) -> api::ImageSpec {
    api::ImageSpec {
        image: image.to_string(),
        ..Default::default()
    }
}

impl CriClient {
    /// `PullImage`: returns the image reference the runtime stored (a digest).
    /// No deadline: a pull takes as long as the registry needs.
    pub async fn pull_image(
        &self,
        image: &str,
        auth: Option<api::AuthConfig>,
        sandbox_config: Option<api::PodSandboxConfig>,
    ) -> Result<String, CriError> {
        let request = tonic::Request::new(api::PullImageRequest {
            image: Some(spec(image)),
            auth,
            sandbox_config,
        });
        match self.image.clone().pull_image(request).await {
            Ok(response) => Ok(response.into_inner().image_ref),
            Err(status) => Err(self.error("PullImage", status)),
        }
    }

    /// `ListImages`.
    pub async fn list_images(
        &self,
        filter: Option<api::ImageFilter>,
    ) -> Result<Vec<api::Image>, CriError> {
        let request = self.request(api::ListImagesRequest { filter }, Duration::ZERO);
        match self.image.clone().list_images(request).await {
            Ok(response) => Ok(response.into_inner().images),
            Err(status) => Err(self.error("ListImages", status)),
        }
    }

    /// `ImageStatus`: `None` when the image is not present.
    pub async fn image_status(&self, image: &str) -> Result<Option<api::Image>, CriError> {
        let request = self.request(
            api::ImageStatusRequest {
                image: Some(spec(image)),
                verbose: false,
            },
            Duration::ZERO,
        );
        match self.image.clone().image_status(request).await {
            Ok(response) => Ok(response.into_inner().image),
            Err(status) => Err(self.error("ImageStatus", status)),
        }
    }

    /// `RemoveImage` (by name or id; removing an absent image succeeds).
    pub async fn remove_image(&self, image: &str) -> Result<(), CriError> {
        let request = self.request(
            api::RemoveImageRequest {
                image: Some(spec(image)),
            },
            Duration::ZERO,
        );
        match self.image.clone().remove_image(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(self.error("RemoveImage", status)),
        }
    }

    /// `ImageFsInfo`: usage of the filesystems holding images.
    pub async fn image_fs_info(&self) -> Result<api::ImageFsInfoResponse, CriError> {
        let request = self.request(api::ImageFsInfoRequest {}, Duration::ZERO);
        match self.image.clone().image_fs_info(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.error("ImageFsInfo", status)),
        }
    }
}
