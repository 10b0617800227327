//! `berth image build|push|import|ls`: OCI images from local files (berth-image) and the
//! node's container runtime image store (berth-kubelet's images module, CRI only).

use std::path::PathBuf;

use anyhow::Context;
use berth_kubelet::containerd::ContainerdPaths;
use berth_kubelet::cri::CriClient;
use clap::{Args, Parser, Subcommand};

#[derive(Subcommand)]
pub enum ImageCommand {
    /// Builds an image from local files: binaries come with their shared libraries and
    /// loader. Written to an archive with -o, else imported into the node's containerd.
    Build(Box<BuildArgs>),
    /// Pushes an OCI archive (written by `berth image build -o`) to a plain-HTTP registry.
    Push(PushArgs),
    /// Imports an OCI archive into the node's containerd (through CRI, from a registry
    /// berth serves on 127.0.0.1 for the time of the import).
    Import(ImportArgs),
    /// Lists the images of the node's containerd, as `crictl images` does.
    Ls(RuntimeArgs),
}

/// Where the node's container runtime is.
#[derive(Args, Clone)]
pub struct RuntimeArgs {
    /// berth's data dir: the runtime is the containerd berth runs there
    /// (<data-dir>/agent/containerd/containerd.sock, registry config in certs.d next to it).
    #[arg(long, default_value = "/var/lib/berth")]
    data_dir: PathBuf,
    /// Use this CRI runtime instead (unix:///path/to/socket).
    #[arg(long, value_name = "unix:///PATH")]
    container_runtime_endpoint: Option<String>,
    /// The runtime's registry config dir (containerd's registry `config_path`), where an
    /// import lists its loopback registry as a mirror. Default: <data-dir>/agent/containerd/certs.d,
    /// required with --container-runtime-endpoint for imports.
    #[arg(long, value_name = "DIR")]
    registry_config_dir: Option<PathBuf>,
}

impl RuntimeArgs {
    fn client(&self) -> anyhow::Result<CriClient> {
        let socket = match &self.container_runtime_endpoint {
            Some(endpoint) => berth_kubelet::cri::socket_path(endpoint)?,
            None => ContainerdPaths::new(&self.data_dir).socket,
        };
        if !socket.exists() {
            anyhow::bail!(
                "no container runtime socket at {}: is the node agent (berth server or berth agent) \
                 running{}?",
                socket.display(),
                if self.container_runtime_endpoint.is_none() {
                    format!(" with --data-dir {}", self.data_dir.display())
                } else {
                    String::new()
                }
            );
        }
        Ok(CriClient::new(socket))
    }

    fn certs_d(&self) -> anyhow::Result<PathBuf> {
        match (&self.registry_config_dir, &self.container_runtime_endpoint) {
            (Some(dir), _) => Ok(dir.clone()),
            (None, None) => Ok(ContainerdPaths::new(&self.data_dir).certs_d),
            (None, Some(endpoint)) => anyhow::bail!(
                "cannot import into {endpoint}: berth imports by listing a loopback registry as a \
                 mirror in the runtime's registry config, and does not know where that is for a \
                 runtime it does not run; give --registry-config-dir DIR (containerd's \
                 [plugins.\"io.containerd.grpc.v1.cri\".registry] config_path, e.g. /etc/containerd/certs.d)"
            ),
        }
    }
}

#[derive(Parser)]
pub struct BuildArgs {
    /// Image name, NAME[:TAG] (e.g. redis, dockercoins/rng:v0.1).
    #[arg(short = 't', long = "tag")]
    tag: String,
    /// A binary to copy with its shared-library closure and dynamic loader, PATH[:DEST] (repeatable).
    #[arg(long = "from-binary", value_name = "PATH[:DEST]")]
    from_binary: Vec<String>,
    /// A host file or directory tree to copy, SRC:DEST (repeatable; symlinks in trees are kept).
    #[arg(long = "add", value_name = "SRC:DEST")]
    add: Vec<String>,
    /// Entrypoint as a JSON array, e.g. '["redis-server"]'.
    #[arg(long)]
    entrypoint: Option<String>,
    /// Default arguments as a JSON array, e.g. '["--port","6379"]'.
    #[arg(long)]
    cmd: Option<String>,
    /// Environment variable K=V (repeatable).
    #[arg(long)]
    env: Vec<String>,
    /// Working directory.
    #[arg(long)]
    workdir: Option<String>,
    /// Exposed port N, N/tcp or N/udp (repeatable).
    #[arg(long)]
    port: Vec<String>,
    /// User to run as (name or uid[:gid]).
    #[arg(long)]
    user: Option<String>,
    /// Write an OCI image layout archive here (for `berth image import|push`, `ctr images
    /// import`, skopeo) instead of importing the image into the node's containerd.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Parser)]
pub struct PushArgs {
    /// OCI archive written by `berth image build -o`.
    source: PathBuf,
    /// Destination REGISTRY/NAME[:TAG], e.g. 127.0.0.1:5000/library/redis:latest.
    destination: String,
    /// Talk plain HTTP to the registry (required: TLS is not implemented).
    #[arg(long)]
    plain_http: bool,
}

#[derive(Parser)]
pub struct ImportArgs {
    /// OCI archive (from `berth image build -o`, `ctr images export`, `skopeo copy oci-archive:`).
    file: PathBuf,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

fn build_options(args: &BuildArgs) -> anyhow::Result<berth_image::BuildOptions> {
    let parse_argv = |flag: &str, v: &Option<String>| {
        v.as_ref()
            .map(|s| berth_image::build::parse_argv_json(flag, s))
            .transpose()
    };
    Ok(berth_image::BuildOptions {
        reference: args.tag.clone(),
        from_binaries: args
            .from_binary
            .iter()
            .map(|s| match s.split_once(':') {
                Some((path, dest)) => (PathBuf::from(path), Some(dest.to_string())),
                None => (PathBuf::from(s), None),
            })
            .collect(),
        adds: args
            .add
            .iter()
            .map(|s| {
                s.split_once(':')
                    .map(|(src, dest)| (PathBuf::from(src), dest.to_string()))
                    .with_context(|| format!("--add {s:?}: expected SRC:DEST"))
            })
            .collect::<anyhow::Result<_>>()?,
        entrypoint: parse_argv("--entrypoint", &args.entrypoint)?,
        cmd: parse_argv("--cmd", &args.cmd)?,
        env: args.env.clone(),
        workdir: args.workdir.clone(),
        ports: args.port.clone(),
        user: args.user.clone(),
    })
}

pub async fn run(command: ImageCommand) -> anyhow::Result<()> {
    match command {
        ImageCommand::Build(args) => {
            let image = berth_image::build(&build_options(&args)?)?;
            match &args.output {
                Some(output) => {
                    image.write_archive(output)?;
                    println!(
                        "{} {} (layer {} bytes compressed) written to {}",
                        image.reference,
                        image.digest(),
                        image.layer.data.len(),
                        output.display()
                    );
                }
                None => {
                    let client = args.runtime.client()?;
                    let certs_d = args.runtime.certs_d()?;
                    let name =
                        berth_kubelet::images::import_image(&client, &certs_d, &image).await?;
                    println!(
                        "{name} {} (layer {} bytes compressed) imported",
                        image.digest(),
                        image.layer.data.len()
                    );
                }
            }
            Ok(())
        }
        ImageCommand::Push(args) => {
            let options = berth_image::PushOptions {
                plain_http: args.plain_http,
            };
            let report =
                berth_image::push_archive(&args.source, &args.destination, &options).await?;
            println!(
                "pushed {} {} ({} blobs uploaded, {} already there, {} bytes)",
                report.reference, report.digest, report.uploaded, report.present, report.bytes
            );
            Ok(())
        }
        ImageCommand::Import(args) => {
            if !args.file.is_file() {
                anyhow::bail!(
                    "{}: no such archive file (an OCI archive, e.g. from `berth image build -o FILE.tar`)",
                    args.file.display()
                );
            }
            let certs_d = args.runtime.certs_d()?;
            let client = args.runtime.client()?;
            let names =
                berth_kubelet::images::import_archive(&client, &certs_d, &args.file).await?;
            for name in names {
                println!("imported {name}");
            }
            Ok(())
        }
        ImageCommand::Ls(runtime) => {
            let client = runtime.client()?;
            let images = berth_kubelet::images::list_images(&client).await?;
            print!("{}", berth_kubelet::images::format_images(&images));
            Ok(())
        }
    }
}
