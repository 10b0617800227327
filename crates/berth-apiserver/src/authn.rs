//! Authentication: x509 client certificates, service-account tokens and bootstrap tokens.

use base64::Engine;
use serde_json::Value;

use crate::jwt::ISSUER;
use crate::state::{State, User};

/// The identity in a client certificate: CN is the user, each O a group.
pub fn user_from_cert(der: &[u8]) -> Option<User> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let mut groups: Vec<String> = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(String::from))
        .collect();
    groups.push("system:authenticated".into());
    Some(User {
        name,
        uid: String::new(),
        groups,
    })
}

/// Authenticates a bearer token; `None` if it is not valid.
pub async fn user_from_token(state: &State, token: &str) -> Option<User> {
    if let Some(u) = bootstrap_token(state, token).await {
        return Some(u);
    }
    service_account_token(state, token).await
}

/// `[a-z0-9]{6}.[a-z0-9]{16}` backed by a kube-system `bootstrap-token-<id>` secret.
async fn bootstrap_token(state: &State, token: &str) -> Option<User> {
    let (id, secret) = token.split_once('.')?;
    let ok = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if !ok(id, 6) || !ok(secret, 16) {
        return None;
    }
    let r = berth_api::registry::find("", "v1", "secrets")?;
    let obj = state
        .storage
        .get(r, "kube-system", &format!("bootstrap-token-{id}"))
        .await
        .ok()??;
    if obj.get("type").and_then(Value::as_str) != Some("bootstrap.kubernetes.io/token") {
        return None;
    }
    let data = |k: &str| -> Option<String> {
        let b = obj.pointer(&format!("/data/{k}"))?.as_str()?;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).ok()?).ok()
    };
    if data("token-id")? != id || data("token-secret")? != secret {
        return None;
    }
    if data("usage-bootstrap-authentication").as_deref() != Some("true") {
        return None;
    }
    if let Some(exp) = data("expiration") {
        let t = chrono::DateTime::parse_from_rfc3339(&exp).ok()?;
        if t < chrono::Utc::now() {
            return None;
        }
    }
    if obj.pointer("/metadata/deletionTimestamp").is_some() {
        return None;
    }
    let mut groups = vec!["system:bootstrappers".to_string()];
    if let Some(extra) = data("auth-extra-groups") {
        groups.extend(
            extra
                .split(',')
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty()),
        );
    }
    groups.push("system:authenticated".into());
    Some(User {
        name: format!("system:bootstrap:{id}"),
        uid: String::new(),
        groups,
    })
}

/// A service-account JWT signed by this cluster, for a service account that still exists.
async fn service_account_token(state: &State, token: &str) -> Option<User> {
    let now = chrono::Utc::now().timestamp();
    let claims = state
        .tokens
        .verify(token, &[ISSUER.to_string()], now)
        .ok()?;
    let k8s = claims.get("kubernetes.io")?;
    let ns = k8s.get("namespace")?.as_str()?;
    let sa = k8s.pointer("/serviceaccount/name")?.as_str()?;
    let uid = k8s.pointer("/serviceaccount/uid")?.as_str()?;
    let r = berth_api::registry::find("", "v1", "serviceaccounts")?;
    let obj = state.storage.get(r, ns, sa).await.ok()??;
    if obj.pointer("/metadata/uid").and_then(Value::as_str) != Some(uid) {
        return None;
    }
    if let Some(pod) = k8s.get("pod") {
        let pr = berth_api::registry::find("", "v1", "pods")?;
        let name = pod.get("name")?.as_str()?;
        let p = state.storage.get(pr, ns, name).await.ok()??;
        if p.pointer("/metadata/uid") != pod.get("uid") {
            return None;
        }
    }
    Some(User {
        name: format!("system:serviceaccount:{ns}:{sa}"),
        uid: uid.to_string(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
    })
}
