//! Tests: protobuf bodies shaped like kubectl's (gogo writes every non-pointer field,
//! zero or not) decode to the JSON kube-apiserver shows.

use serde_json::{json, Value};

use super::decode::{base64, go_duration};
use super::{decode, message_name, ProtobufError, MAGIC};

/// A tiny protobuf encoder for building inputs.
#[derive(Clone, Default)]
struct Pb(Vec<u8>);

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Pb {
    fn new() -> Self {
        Pb::default()
    }
    fn key(mut self, tag: u32, wire: u8) -> Self {
        put_varint(&mut self.0, (u64::from(tag) << 3) | u64::from(wire));
        self
    }
    fn int(self, tag: u32, v: i64) -> Self {
        let mut s = self.key(tag, 0);
        put_varint(&mut s.0, v as u64);
        s
    }
    fn bool(self, tag: u32, v: bool) -> Self {
        self.int(tag, i64::from(v))
    }
    fn bytes(self, tag: u32, b: &[u8]) -> Self {
        let mut s = self.key(tag, 2);
        put_varint(&mut s.0, b.len() as u64);
        s.0.extend_from_slice(b);
        s
    }
    fn str(self, tag: u32, v: &str) -> Self {
        self.bytes(tag, v.as_bytes())
    }
    fn msg(self, tag: u32, m: Pb) -> Self {
        self.bytes(tag, &m.0)
    }
    fn entry(self, tag: u32, k: &str, v: &str) -> Self {
        self.msg(tag, Pb::new().str(1, k).str(2, v))
    }
    fn entry_msg(self, tag: u32, k: &str, v: Pb) -> Self {
        self.msg(tag, Pb::new().str(1, k).msg(2, v))
    }
}

fn envelope(api_version: &str, kind: &str, raw: Pb) -> Vec<u8> {
    let unknown = Pb::new()
        .msg(1, Pb::new().str(1, api_version).str(2, kind))
        .msg(2, raw)
        .str(3, "")
        .str(4, "");
    let mut body = MAGIC.to_vec();
    body.extend(unknown.0);
    body
}

/// ObjectMeta as gogo writes it: every non-pointer field, the zero time as empty bytes.
fn meta(name: &str, namespace: &str, labels: &[(&str, &str)]) -> Pb {
    let mut m = Pb::new()
        .str(1, name)
        .str(2, "")
        .str(3, namespace)
        .str(4, "")
        .str(5, "")
        .str(6, "")
        .int(7, 0)
        .msg(8, Pb::new());
    for (k, v) in labels {
        m = m.entry(11, k, v);
    }
    m
}

fn quantity(s: &str) -> Pb {
    Pb::new().str(1, s)
}

fn int_or_string_int(n: i64) -> Pb {
    Pb::new().int(1, 0).int(2, n).str(3, "")
}

fn int_or_string_str(s: &str) -> Pb {
    Pb::new().int(1, 1).int(2, 0).str(3, s)
}

fn deployment_body() -> Vec<u8> {
    let labels = [("app", "web")];
    let container = Pb::new()
        .str(1, "nginx")
        .str(2, "nginx:1.27")
        .str(5, "")
        .msg(
            6,
            Pb::new()
                .str(1, "")
                .int(2, 0)
                .int(3, 80)
                .str(4, "TCP")
                .str(5, ""),
        )
        .msg(7, Pb::new().str(1, "MODE").str(2, "prod"))
        .msg(
            7,
            Pb::new().str(1, "PASSWORD").str(2, "").msg(
                3,
                Pb::new().msg(
                    4,
                    Pb::new()
                        .msg(1, Pb::new().str(1, "creds"))
                        .str(2, "password"),
                ),
            ),
        )
        .msg(
            8,
            Pb::new().entry_msg(1, "cpu", quantity("500m")).entry_msg(
                2,
                "memory",
                quantity("128Mi"),
            ),
        )
        .str(13, "")
        .str(14, "")
        .bool(16, false)
        .bool(17, false)
        .bool(18, false)
        .str(20, "");
    let pod_spec = Pb::new()
        .msg(2, container)
        .str(3, "")
        .str(6, "")
        .str(8, "")
        .str(9, "")
        .str(10, "")
        .bool(11, false)
        .bool(12, false)
        .bool(13, false)
        .str(16, "")
        .str(17, "")
        .str(19, "");
    let spec = Pb::new()
        .int(1, 3)
        .msg(2, Pb::new().entry(1, "app", "web"))
        .msg(3, Pb::new().msg(1, meta("", "", &labels)).msg(2, pod_spec))
        .msg(
            4,
            Pb::new().str(1, "RollingUpdate").msg(
                2,
                Pb::new()
                    .msg(1, int_or_string_int(0))
                    .msg(2, int_or_string_str("25%")),
            ),
        )
        .int(5, 0)
        .bool(7, false);
    let status = Pb::new().int(1, 0).int(2, 0).int(3, 0).int(4, 0).int(5, 0);
    envelope(
        "apps/v1",
        "Deployment",
        Pb::new()
            .msg(1, meta("web", "default", &labels))
            .msg(2, spec)
            .msg(3, status),
    )
}

#[test]
fn config_map() {
    let raw = Pb::new()
        .msg(1, meta("cm", "", &[]))
        .entry(2, "a", "b")
        .entry(2, "c", "")
        .msg(3, Pb::new().str(1, "bin").bytes(2, b"\x00\x01\xfe"));
    let got = decode(&envelope("v1", "ConfigMap", raw)).unwrap();
    assert_eq!(
        got,
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "creationTimestamp": null},
            "data": {"a": "b", "c": ""},
            "binaryData": {"bin": "AAH+"},
        })
    );
}

#[test]
fn deployment() {
    let got = decode(&deployment_body()).unwrap();
    let expected = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "creationTimestamp": null,
            "labels": {"app": "web"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [
                            {"name": "MODE", "value": "prod"},
                            {"name": "PASSWORD", "valueFrom": {
                                "secretKeyRef": {"name": "creds", "key": "password"},
                            }},
                        ],
                        "resources": {
                            "limits": {"cpu": "500m"},
                            "requests": {"memory": "128Mi"},
                        },
                    }],
                },
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"},
            },
        },
        "status": {},
    });
    assert_eq!(
        got,
        expected,
        "{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
}

#[test]
fn pointer_zero_is_kept_and_plain_zero_dropped() {
    let raw = Pb::new()
        .msg(1, meta("web", "", &[]))
        .msg(2, Pb::new().int(1, 0).int(5, 0).bool(7, false));
    let got = decode(&envelope("apps/v1", "Deployment", raw)).unwrap();
    assert_eq!(got["spec"], json!({"replicas": 0}));
}

#[test]
fn secret_with_binary_data() {
    let raw = Pb::new()
        .msg(1, meta("s", "ns1", &[]))
        .msg(2, Pb::new().str(1, "key").bytes(2, &[0, 1, 2, 255]))
        .entry(2, "user", "admin")
        .str(3, "Opaque")
        .bool(5, true);
    let got = decode(&envelope("v1", "Secret", raw)).unwrap();
    assert_eq!(
        got,
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns1", "creationTimestamp": null},
            "data": {"key": "AAEC/w==", "user": "YWRtaW4="},
            "type": "Opaque",
            "immutable": true,
        })
    );
}

#[test]
fn service_node_port() {
    let port = Pb::new()
        .str(1, "80-8080")
        .str(2, "TCP")
        .int(3, 80)
        .msg(4, int_or_string_int(8080))
        .int(5, 30080);
    let unset_target = Pb::new()
        .str(1, "")
        .str(2, "TCP")
        .int(3, 443)
        .msg(4, int_or_string_int(0))
        .int(5, 0);
    let spec = Pb::new()
        .msg(1, port)
        .msg(1, unset_target)
        .entry(2, "app", "web")
        .str(3, "")
        .str(4, "NodePort")
        .str(7, "")
        .str(8, "")
        .str(10, "")
        .str(11, "")
        .int(12, 0)
        .bool(13, false);
    let raw = Pb::new()
        .msg(1, meta("web", "", &[("app", "web")]))
        .msg(2, spec)
        .msg(3, Pb::new().msg(1, Pb::new()));
    let got = decode(&envelope("v1", "Service", raw)).unwrap();
    assert_eq!(
        got,
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {
                "ports": [
                    {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                    {"protocol": "TCP", "port": 443},
                ],
                "selector": {"app": "web"},
                "type": "NodePort",
            },
            "status": {"loadBalancer": {}},
        })
    );
}

#[test]
fn token_request() {
    let raw = Pb::new()
        .msg(1, meta("", "", &[]))
        .msg(2, Pb::new().str(1, "api").int(4, 3600))
        .msg(3, Pb::new().str(1, "").msg(2, Pb::new()));
    let got = decode(&envelope("authentication.k8s.io/v1", "TokenRequest", raw)).unwrap();
    assert_eq!(
        got,
        json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "metadata": {"creationTimestamp": null},
            "spec": {"audiences": ["api"], "expirationSeconds": 3600},
            "status": {"token": "", "expirationTimestamp": null},
        })
    );
}

#[test]
fn self_subject_access_review() {
    let attrs = Pb::new()
        .str(1, "default")
        .str(2, "create")
        .str(3, "")
        .str(4, "")
        .str(5, "pods")
        .str(6, "")
        .str(7, "");
    let raw = Pb::new()
        .msg(1, meta("", "", &[]))
        .msg(2, Pb::new().msg(1, attrs))
        .msg(
            3,
            Pb::new()
                .bool(1, false)
                .str(2, "")
                .str(3, "")
                .bool(4, false),
        );
    let got = decode(&envelope(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        raw,
    ))
    .unwrap();
    assert_eq!(
        got,
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "metadata": {"creationTimestamp": null},
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}},
            "status": {"allowed": false},
        })
    );
}

#[test]
fn times_durations_and_inline_volume_source() {
    let owner = Pb::new()
        .str(1, "ReplicaSet")
        .str(3, "rs")
        .str(4, "uid-1")
        .str(5, "apps/v1")
        .bool(6, true);
    let pod_meta = meta("p", "", &[])
        .msg(9, Pb::new().int(1, 1_767_323_045).int(2, 5))
        .int(10, 0)
        .msg(13, owner);
    let volume = Pb::new().str(1, "cfg").msg(
        2,
        Pb::new().msg(
            19,
            Pb::new()
                .msg(1, Pb::new().str(1, "settings"))
                .int(3, 0o644)
                .bool(4, false),
        ),
    );
    let raw = Pb::new().msg(1, pod_meta).msg(2, Pb::new().msg(1, volume));
    let got = decode(&envelope("v1", "Pod", raw)).unwrap();
    assert_eq!(got["metadata"]["deletionTimestamp"], "2026-01-02T03:04:05Z");
    assert_eq!(got["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(
        got["metadata"]["ownerReferences"],
        json!([{"kind": "ReplicaSet", "name": "rs", "uid": "uid-1", "apiVersion": "apps/v1", "controller": true}])
    );
    assert_eq!(
        got["spec"]["volumes"],
        json!([{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420, "optional": false}}])
    );

    let event = Pb::new()
        .msg(1, meta("e", "", &[]))
        .msg(2, Pb::new().int(1, 1_767_323_045).int(2, 123_456_789))
        .msg(2, Pb::new().int(1, -62_135_596_800));
    let got = decode(&envelope("events.k8s.io/v1", "Event", event)).unwrap();
    assert_eq!(got["eventTime"], Value::Null, "last occurrence wins");

    assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
    assert_eq!(go_duration(1_500_000_000), "1.5s");
    assert_eq!(go_duration(90_000_000_000), "1m30s");
    assert_eq!(go_duration(300_000_000), "300ms");
    assert_eq!(go_duration(1_500), "1.5µs");
    assert_eq!(go_duration(-7), "-7ns");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b""), "");
}

#[test]
fn micro_time() {
    let event = Pb::new()
        .msg(1, meta("e", "", &[]))
        .msg(2, Pb::new().int(1, 1_767_323_045).int(2, 123_456_789));
    let got = decode(&envelope("events.k8s.io/v1", "Event", event)).unwrap();
    assert_eq!(got["eventTime"], "2026-01-02T03:04:05.123456Z");
}

#[test]
fn packed_and_unpacked_repeated_scalars() {
    // JobSpec.podFailurePolicy(11).rules(1).onExitCodes(2).values(3): repeated int32.
    let mut packed = Vec::new();
    for v in [1u64, 2, 300] {
        put_varint(&mut packed, v);
    }
    let codes = Pb::new().str(2, "In").bytes(3, &packed).int(3, 7);
    let rule = Pb::new().str(1, "FailJob").msg(2, codes);
    let spec = Pb::new().msg(11, Pb::new().msg(1, rule));
    let raw = Pb::new().msg(1, meta("j", "", &[])).msg(2, spec);
    let got = decode(&envelope("batch/v1", "Job", raw)).unwrap();
    assert_eq!(
        got["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"],
        json!({"operator": "In", "values": [1, 2, 300, 7]})
    );
}

#[test]
fn unknown_fields_are_skipped_and_raw_extension_embeds_json() {
    let mut raw = Pb::new().msg(1, meta("cm", "", &[])).int(99, 5).key(98, 1);
    raw.0.extend_from_slice(&[0; 8]);
    let mut raw = raw.msg(97, Pb::new().str(1, "x")).key(96, 5);
    raw.0.extend_from_slice(&[0; 4]);
    let got = decode(&envelope("v1", "ConfigMap", raw)).unwrap();
    assert_eq!(
        got["metadata"],
        json!({"name": "cm", "creationTimestamp": null})
    );

    let revision = Pb::new()
        .msg(1, meta("r", "", &[]))
        .msg(2, Pb::new().bytes(1, br#"{"spec":{"replicas":2}}"#))
        .int(3, 4);
    let got = decode(&envelope("apps/v1", "ControllerRevision", revision)).unwrap();
    assert_eq!(got["data"], json!({"spec": {"replicas": 2}}));
    assert_eq!(got["revision"], 4);
}

#[test]
fn delete_options_in_any_group_version() {
    let raw = Pb::new().int(1, 0).bool(3, false).str(4, "Foreground");
    let got = decode(&envelope("apps/v1", "DeleteOptions", raw)).unwrap();
    assert_eq!(
        got,
        json!({"apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
               "orphanDependents": false, "propagationPolicy": "Foreground"})
    );
    assert_eq!(message_name("v1", "Pod"), Some("io.k8s.api.core.v1.Pod"));
    assert_eq!(
        message_name("policy/v1", "Eviction"),
        Some("io.k8s.api.policy.v1.Eviction")
    );
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(decode(b"{}"), Err(ProtobufError::MissingMagic));
    let err = decode(&envelope("apps/v1", "Foo", Pb::new())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to decode protobuf: unknown kind apps/v1, Kind=Foo"
    );
    let body = deployment_body();
    assert_eq!(
        decode(&body[..body.len() - 3]),
        Err(ProtobufError::Truncated)
    );
    let bad = Pb::new().msg(1, meta("cm", "", &[])).int(2, 1);
    let err = decode(&envelope("v1", "ConfigMap", bad)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to decode protobuf: data: wrong wire type varint for a Map(String) field"
    );
    let bad = Pb::new().msg(1, Pb::new().int(1, 5));
    let err = decode(&envelope("v1", "ConfigMap", bad)).unwrap_err();
    assert!(
        err.to_string().contains("metadata.name: wrong wire type"),
        "{err}"
    );
    let gzip = {
        let mut b = MAGIC.to_vec();
        b.extend(
            Pb::new()
                .msg(1, Pb::new().str(1, "v1").str(2, "ConfigMap"))
                .str(3, "gzip")
                .0,
        );
        b
    };
    assert!(matches!(
        decode(&gzip),
        Err(ProtobufError::ContentEncoding(_))
    ));
}

/// xorshift64*: deterministic pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn never_panics_on_random_or_truncated_input() {
    let start = std::time::Instant::now();
    let budget = std::time::Duration::from_secs(3);
    let body = deployment_body();
    for len in 0..body.len() {
        let _ = decode(&body[..len]);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let kinds = [
        ("apps/v1", "Deployment"),
        ("v1", "Pod"),
        ("v1", "ConfigMap"),
        ("apps/v1", "ControllerRevision"),
        ("events.k8s.io/v1", "Event"),
    ];
    let mut rounds = 0u32;
    while start.elapsed() < budget && rounds < 200_000 {
        rounds += 1;
        // Mutations of a valid body.
        let mut mutated = body.clone();
        for _ in 0..1 + rng.next() % 4 {
            let i = (rng.next() as usize) % mutated.len();
            mutated[i] = rng.next() as u8;
        }
        let _ = decode(&mutated);
        // Random messages of real kinds, including deeply nested length prefixes.
        let len = (rng.next() % 64) as usize;
        let raw: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let (av, kind) = kinds[(rng.next() as usize) % kinds.len()];
        let _ = decode(&envelope(av, kind, Pb(raw.clone())));
        let mut bare = MAGIC.to_vec();
        bare.extend(&raw);
        let _ = decode(&bare);
    }
    // Nesting bombs: a Pod's spec.volumes[].configMap... nested RawExtension objects.
    let mut inner = envelope("apps/v1", "ControllerRevision", Pb::new());
    for _ in 0..200 {
        inner = envelope(
            "apps/v1",
            "ControllerRevision",
            Pb::new().msg(2, Pb::new().bytes(1, &inner)),
        );
    }
    assert!(decode(&inner).is_err());
    assert!(rounds > 100, "only {rounds} rounds in {budget:?}");
}
