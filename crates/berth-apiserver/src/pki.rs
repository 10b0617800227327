//! The cluster's PKI, laid out like kubeadm's: CA, serving and admin certificates, service-account key.
//!
//! Generated once under `<data-dir>/pki/` and reused on every start, so kubeconfigs and
//! tokens stay valid across restarts.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

/// Errors while creating or loading the PKI.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot generate or parse a certificate or key ({what}): {source}")]
    Cert { what: String, source: rcgen::Error },
}

/// The CA and the keys the API server needs at run time.
pub struct Pki {
    pub dir: PathBuf,
    pub ca_cert_pem: String,
    ca_params: CertificateParams,
    ca_key: KeyPair,
    /// Serving certificate chain and key (PEM).
    pub serving_cert_pem: String,
    pub serving_key_pem: String,
    /// Service-account signing key (PKCS#8 DER, ECDSA P-256).
    pub sa_key_der: Vec<u8>,
    /// The API server's client certificate and key towards node agents (kubeadm's
    /// `apiserver-kubelet-client.crt`: CN `kube-apiserver-kubelet-client`, O
    /// `kubeadm:cluster-admins`). Agents verify it against `<data-dir>/pki/ca.crt`.
    pub kubelet_client_cert_pem: String,
    pub kubelet_client_key_pem: String,
}

/// What the serving certificate must name.
pub struct ServingNames {
    pub advertise_address: IpAddr,
    pub service_ip: IpAddr,
    pub hostname: String,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn cert_err(what: &str) -> impl FnOnce(rcgen::Error) -> PkiError + '_ {
    move |source| PkiError::Cert {
        what: what.to_string(),
        source,
    }
}

fn write_private(path: &Path, contents: &str) -> Result<(), PkiError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    f.write_all(contents.as_bytes()).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn read(path: &Path) -> Result<Option<String>, PkiError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

fn dn(cn: &str, orgs: &[&str]) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    for o in orgs {
        d.push(DnType::OrganizationName, *o);
    }
    d.push(DnType::CommonName, cn);
    d
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = std::time::SystemTime::now();
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    params.not_before = rcgen::date_time_ymd(1970, 1, 1)
        + std::time::Duration::from_secs((secs - 300).max(0) as u64);
    params.not_after = rcgen::date_time_ymd(1970, 1, 1)
        + std::time::Duration::from_secs((secs + days * 86_400) as u64);
}

impl Pki {
    /// Loads the PKI from `<data_dir>/pki`, creating whatever is missing.
    pub fn load_or_create(data_dir: &Path, names: &ServingNames) -> Result<Pki, PkiError> {
        let dir = data_dir.join("pki");
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;

        // Cluster CA (10 years, as kubeadm).
        let ca_crt = dir.join("ca.crt");
        let ca_key_path = dir.join("ca.key");
        let (ca_cert_pem, ca_key, ca_params) = match (read(&ca_crt)?, read(&ca_key_path)?) {
            (Some(c), Some(k)) => {
                let key = KeyPair::from_pem(&k).map_err(cert_err("ca.key"))?;
                let params = CertificateParams::from_ca_cert_pem(&c).map_err(cert_err("ca.crt"))?;
                (c, key, params)
            }
            _ => {
                let key = KeyPair::generate().map_err(cert_err("ca key"))?;
                let mut params = CertificateParams::default();
                params.distinguished_name = dn("kubernetes", &[]);
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyEncipherment,
                    KeyUsagePurpose::KeyCertSign,
                ];
                validity(&mut params, 3650);
                let cert = params.clone().self_signed(&key).map_err(cert_err("ca"))?;
                let pem = cert.pem();
                write_private(&ca_key_path, &key.serialize_pem())?;
                write_private(&ca_crt, &pem)?;
                (pem, key, params)
            }
        };
        let mut pki = Pki {
            dir: dir.clone(),
            ca_cert_pem,
            ca_params,
            ca_key,
            serving_cert_pem: String::new(),
            serving_key_pem: String::new(),
            sa_key_der: Vec::new(),
            kubelet_client_cert_pem: String::new(),
            kubelet_client_key_pem: String::new(),
        };

        // Serving certificate: regenerated when the names it must carry change.
        let sans = serving_sans(names);
        let crt = dir.join("apiserver.crt");
        let key = dir.join("apiserver.key");
        let sans_file = dir.join("apiserver.sans");
        let want = sans.join(",");
        match (read(&crt)?, read(&key)?, read(&sans_file)?) {
            (Some(c), Some(k), Some(s)) if s.trim() == want => {
                pki.serving_cert_pem = c;
                pki.serving_key_pem = k;
            }
            _ => {
                let (c, k) = pki.issue(
                    "kube-apiserver",
                    &[],
                    &sans,
                    ExtendedKeyUsagePurpose::ServerAuth,
                    365,
                )?;
                write_private(&key, &k)?;
                write_private(&crt, &c)?;
                write_private(&sans_file, &want)?;
                pki.serving_cert_pem = c;
                pki.serving_key_pem = k;
            }
        }

        // Service-account signing key.
        let sa_key = dir.join("sa.key");
        let sa = match read(&sa_key)? {
            Some(k) => KeyPair::from_pem(&k).map_err(cert_err("sa.key"))?,
            None => {
                let k = KeyPair::generate().map_err(cert_err("sa key"))?;
                write_private(&sa_key, &k.serialize_pem())?;
                write_private(&dir.join("sa.pub"), &k.public_key_pem())?;
                k
            }
        };
        pki.sa_key_der = sa.serialize_der();

        // Client certificate towards node agents.
        let (c, k) = pki.client_credentials(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            &["kubeadm:cluster-admins"],
        )?;
        pki.kubelet_client_cert_pem = c;
        pki.kubelet_client_key_pem = k;
        Ok(pki)
    }

    /// Issues a certificate signed by the cluster CA. Returns (cert PEM, key PEM).
    pub fn issue(
        &self,
        common_name: &str,
        organizations: &[&str],
        sans: &[String],
        usage: ExtendedKeyUsagePurpose,
        days: i64,
    ) -> Result<(String, String), PkiError> {
        let key = KeyPair::generate().map_err(cert_err(common_name))?;
        let mut params = CertificateParams::new(sans.to_vec()).map_err(cert_err(common_name))?;
        params.distinguished_name = dn(common_name, organizations);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, days);
        let ca = self
            .ca_params
            .clone()
            .self_signed(&self.ca_key)
            .map_err(cert_err("ca"))?;
        let cert = params
            .signed_by(&key, &ca, &self.ca_key)
            .map_err(cert_err(common_name))?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Signs a PEM certificate signing request with the CA (the CSR signer of the
    /// certificates API), keeping the request's subject. Returns the certificate PEM.
    pub fn sign_csr(
        &self,
        csr_pem: &str,
        usages: &[ExtendedKeyUsagePurpose],
        days: i64,
    ) -> Result<String, PkiError> {
        let mut csr =
            CertificateSigningRequestParams::from_pem(csr_pem).map_err(cert_err("csr"))?;
        csr.params.is_ca = IsCa::NoCa;
        csr.params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        csr.params.extended_key_usages = usages.to_vec();
        csr.params.use_authority_key_identifier_extension = true;
        validity(&mut csr.params, days);
        let ca = self
            .ca_params
            .clone()
            .self_signed(&self.ca_key)
            .map_err(cert_err("ca"))?;
        let cert = csr.signed_by(&ca, &self.ca_key).map_err(cert_err("csr"))?;
        Ok(cert.pem())
    }

    /// The admin client certificate (CN=kubernetes-admin, O=system:masters), created once.
    pub fn admin_credentials(&self) -> Result<(String, String), PkiError> {
        self.client_credentials("admin", "kubernetes-admin", &["system:masters"])
    }

    /// A client certificate `<dir>/<file>.crt` and key `.key`, created once.
    fn client_credentials(
        &self,
        file: &str,
        common_name: &str,
        organizations: &[&str],
    ) -> Result<(String, String), PkiError> {
        let crt = self.dir.join(format!("{file}.crt"));
        let key = self.dir.join(format!("{file}.key"));
        if let (Some(c), Some(k)) = (read(&crt)?, read(&key)?) {
            return Ok((c, k));
        }
        let (c, k) = self.issue(
            common_name,
            organizations,
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
            365,
        )?;
        write_private(&key, &k)?;
        write_private(&crt, &c)?;
        Ok((c, k))
    }

    /// `sha256:<hex>` of the CA's SubjectPublicKeyInfo: kubeadm's discovery-token-ca-cert-hash.
    pub fn ca_cert_hash(&self) -> String {
        let spki = self.ca_key.public_key_der();
        let digest = ring::digest::digest(&ring::digest::SHA256, &spki);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

fn serving_sans(names: &ServingNames) -> Vec<String> {
    let mut sans = vec![
        "127.0.0.1".to_string(),
        names.advertise_address.to_string(),
        names.service_ip.to_string(),
        "kubernetes".to_string(),
        "kubernetes.default".to_string(),
        "kubernetes.default.svc".to_string(),
        "kubernetes.default.svc.cluster.local".to_string(),
        "localhost".to_string(),
    ];
    if !names.hostname.is_empty() && names.hostname.parse::<IpAddr>().is_err() {
        sans.push(names.hostname.to_lowercase());
    }
    let mut seen = std::collections::HashSet::new();
    sans.retain(|s| seen.insert(s.clone()));
    sans
}

/// A kubeconfig for `server` with client certificate credentials.
pub fn kubeconfig(server: &str, ca_pem: &str, cert_pem: &str, key_pem: &str, user: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: berth\ncontexts:\n- context:\n    cluster: berth\n    user: {user}\n  name: {user}@berth\ncurrent-context: {user}@berth\npreferences: {{}}\nusers:\n- name: {user}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(ca_pem),
        cert = b64(cert_pem),
        key = b64(key_pem),
    )
}

/// Writes a file readable only by its owner, atomically.
pub fn write_secret_file(path: &Path, contents: &str) -> Result<(), PkiError> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
    }
    write_private(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pki_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = ServingNames {
            advertise_address: "10.1.2.3".parse().expect("ip"),
            service_ip: "10.96.0.1".parse().expect("ip"),
            hostname: "node1".into(),
        };
        let a = Pki::load_or_create(dir.path(), &names).expect("create");
        let b = Pki::load_or_create(dir.path(), &names).expect("load");
        assert_eq!(a.ca_cert_pem, b.ca_cert_pem);
        assert_eq!(a.serving_cert_pem, b.serving_cert_pem);
        assert_eq!(a.sa_key_der, b.sa_key_der);
        assert_eq!(a.ca_cert_hash(), b.ca_cert_hash());
        let pem = a.serving_cert_pem.clone();
        let der = rustls_pem_der(&pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parse");
        let san = cert
            .subject_alternative_name()
            .expect("ext")
            .expect("san present");
        let text = format!("{:?}", san.value);
        for want in [
            "10.96.0.1",
            "kubernetes.default.svc.cluster.local",
            "node1",
            "127.0.0.1",
        ] {
            let w = if let Ok(ip) = want.parse::<std::net::Ipv4Addr>() {
                format!("{:?}", ip.octets())
            } else {
                want.to_string()
            };
            assert!(text.contains(&w), "{want} missing in {text}");
        }
    }

    fn rustls_pem_der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64")
    }
}
