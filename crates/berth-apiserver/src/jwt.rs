//! Service-account tokens: compact JWS (ES256) signed with the cluster's service-account key.
//!
//! Small and self-contained on `ring`, which berth already uses for TLS: the token format
//! is the one kube-apiserver issues (`kubernetes.io` private claims), so in-cluster
//! clients and `kubectl create token` see the same thing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Value};

/// The issuer kube-apiserver uses by default with kubeadm.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Signs and verifies service-account tokens.
pub struct TokenSigner {
    key: EcdsaKeyPair,
    public: Vec<u8>,
    key_id: String,
    rng: SystemRandom,
}

/// Why a token was rejected.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("invalid signature")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token issuer or audience is not accepted")]
    Audience,
}

impl TokenSigner {
    /// Builds a signer from a PKCS#8 ECDSA P-256 key.
    pub fn new(pkcs8: &[u8]) -> Result<TokenSigner, String> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| format!("bad service-account key: {e}"))?;
        let public = key.public_key().as_ref().to_vec();
        let digest = ring::digest::digest(&ring::digest::SHA256, &public);
        let key_id = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        Ok(TokenSigner {
            key,
            public,
            key_id,
            rng,
        })
    }

    /// Signs `claims` into a compact JWS.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let mut out = URL_SAFE_NO_PAD.encode(header.to_string());
        out.push('.');
        out.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let sig = self
            .key
            .sign(&self.rng, out.as_bytes())
            .map_err(|_| "signing failed".to_string())?;
        out.push('.');
        out.push_str(&URL_SAFE_NO_PAD.encode(sig.as_ref()));
        Ok(out)
    }

    /// Verifies a token's signature, issuer, audience and times; returns its claims.
    pub fn verify(&self, token: &str, audiences: &[String], now: i64) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(h)
                .map_err(|_| TokenError::Malformed)?,
        )
        .map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return Err(TokenError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| TokenError::Malformed)?;
        let signed = &token[..h.len() + 1 + p.len()];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.public)
            .verify(signed.as_bytes(), &sig)
            .map_err(|_| TokenError::Signature)?;
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(p)
                .map_err(|_| TokenError::Malformed)?,
        )
        .map_err(|_| TokenError::Malformed)?;
        if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
            return Err(TokenError::Audience);
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::Array(a)) => a
                .iter()
                .any(|x| x.as_str().is_some_and(|x| audiences.iter().any(|w| w == x))),
            Some(Value::String(x)) => audiences.iter().any(|w| w == x),
            _ => false,
        };
        if !aud_ok {
            return Err(TokenError::Audience);
        }
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            if now >= exp {
                return Err(TokenError::Expired);
            }
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64) {
            if now + 60 < nbf {
                return Err(TokenError::NotYetValid);
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TokenSigner {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        TokenSigner::new(pkcs8.as_ref()).expect("signer")
    }

    #[test]
    fn round_trip_and_rejections() {
        let s = signer();
        let aud = vec![ISSUER.to_string()];
        let claims = json!({"iss": ISSUER, "aud": [ISSUER], "sub": "system:serviceaccount:default:x", "exp": 2000, "nbf": 1000});
        let t = s.sign(&claims).expect("sign");
        assert_eq!(
            s.verify(&t, &aud, 1500).expect("valid")["sub"],
            "system:serviceaccount:default:x"
        );
        assert!(matches!(s.verify(&t, &aud, 2000), Err(TokenError::Expired)));
        assert!(matches!(
            s.verify(&t, &["other".into()], 1500),
            Err(TokenError::Audience)
        ));
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(s.verify(&bad, &aud, 1500).is_err());
        assert!(matches!(
            signer().verify(&t, &aud, 1500),
            Err(TokenError::Signature)
        ));
        assert!(matches!(
            s.verify("a.b", &aud, 1500),
            Err(TokenError::Malformed)
        ));
    }
}
