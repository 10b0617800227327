//! Tests of the patch functions, in the spirit of apimachinery's strategicpatch test cases.

use serde_json::{json, Value};

use super::*;

const DEPLOYMENT: &str = "io.k8s.api.apps.v1.Deployment";
const POD: &str = "io.k8s.api.core.v1.Pod";

fn smp(original: Value, patch: Value, def: &str) -> Value {
    match strategic_merge_patch(&original, &patch, def) {
        Ok(v) => v,
        Err(e) => panic!("patch failed: {e}"),
    }
}

fn smp_err(original: Value, patch: Value, def: &str) -> String {
    match strategic_merge_patch(&original, &patch, def) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e.to_string(),
    }
}

fn worker_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "worker", "namespace": "default", "labels": {"app": "worker"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "worker"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "worker"}},
                "spec": {
                    "containers": [
                        {"name": "worker", "image": "dockercoins/worker:v0.1",
                         "imagePullPolicy": "IfNotPresent",
                         "env": [{"name": "A", "value": "1"}],
                         "resources": {}, "terminationMessagePath": "/dev/termination-log"},
                        {"name": "sidecar", "image": "busybox", "args": ["sleep", "1d"]}
                    ],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst"
                }
            }
        },
        "status": {"replicas": 1}
    })
}

fn containers(d: &Value) -> &Vec<Value> {
    match d["spec"]["template"]["spec"]["containers"].as_array() {
        Some(c) => c,
        None => panic!("no containers in {d}"),
    }
}

#[test]
fn seed_lesson_patch_keeps_other_container_fields_and_containers() {
    let patch = json!({"spec":{"template":{"spec":{"containers":[{"name":"worker","image":"x/worker:latest"}]}},"strategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":3}},"minReadySeconds":10}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    let c = containers(&out);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["name"], "worker");
    assert_eq!(c[0]["image"], "x/worker:latest");
    assert_eq!(c[0]["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c[0]["env"], json!([{"name": "A", "value": "1"}]));
    assert_eq!(c[1]["name"], "sidecar");
    assert_eq!(out["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(
        out["spec"]["strategy"]["rollingUpdate"],
        json!({"maxSurge": 3, "maxUnavailable": 0})
    );
    assert_eq!(out["spec"]["minReadySeconds"], 10);
    assert_eq!(out["spec"]["replicas"], 1);
    assert_eq!(out["metadata"]["name"], "worker");
}

#[test]
fn null_deletes_and_unmatched_null_is_ignored() {
    let patch =
        json!({"metadata": {"labels": {"app": null, "new": "x", "gone": null}}, "status": null});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    assert_eq!(out["metadata"]["labels"], json!({"new": "x"}));
    assert!(out.get("status").is_none());
}

#[test]
fn new_values_lose_nulls_and_directives() {
    let patch = json!({"spec": {"paused": true, "template": {"spec": {"affinity": {"nodeAffinity": null, "podAffinity": {}}}}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    assert_eq!(
        out["spec"]["template"]["spec"]["affinity"],
        json!({"podAffinity": {}})
    );
    assert_eq!(out["spec"]["paused"], true);
}

#[test]
fn lists_without_strategy_are_replaced() {
    let patch = json!({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","args":["sleep","2d"]}]}}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    assert_eq!(containers(&out)[1]["args"], json!(["sleep", "2d"]));
    // tolerations are atomic (no patch strategy): replaced as a whole.
    let pod = json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}]}});
    let out = smp(pod, json!({"spec": {"tolerations": [{"key": "c"}]}}), POD);
    assert_eq!(out["spec"]["tolerations"], json!([{"key": "c"}]));
}

#[test]
fn merge_lists_merge_by_key_and_append_new_items() {
    let patch = json!({"spec":{"template":{"spec":{"containers":[
        {"name":"worker","env":[{"name":"B","value":"2"},{"name":"A","value":"9"}],"ports":[{"containerPort":8080}]},
        {"name":"third","image":"redis"}
    ]}}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    let c = containers(&out);
    let names: Vec<&str> = c.iter().filter_map(|c| c["name"].as_str()).collect();
    // As upstream: items only in the live list go after patch items they do not precede
    // in the live list, so the new container lands before "sidecar".
    assert_eq!(names, ["worker", "third", "sidecar"]);
    assert_eq!(
        c[0]["env"],
        json!([{"name": "B", "value": "2"}, {"name": "A", "value": "9"}])
    );
    assert_eq!(c[0]["ports"], json!([{"containerPort": 8080}]));
}

#[test]
fn primitive_merge_lists_union_and_delete_from_primitive_list() {
    let original = json!({"metadata": {"name": "p", "finalizers": ["a", "b"]}});
    let out = smp(
        original.clone(),
        json!({"metadata": {"finalizers": ["c", "a"]}}),
        POD,
    );
    assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
    let out = smp(
        original,
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["d"]}}),
        POD,
    );
    assert_eq!(out["metadata"]["finalizers"], json!(["d", "b"]));
}

#[test]
fn patch_replace_and_delete_on_maps() {
    let out = smp(
        worker_deployment(),
        json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}}),
        DEPLOYMENT,
    );
    assert_eq!(out["metadata"]["labels"], json!({"only": "this"}));
    let out = smp(
        worker_deployment(),
        json!({"spec": {"strategy": {"$patch": "delete"}}}),
        DEPLOYMENT,
    );
    assert_eq!(out["spec"]["strategy"], json!({}));
}

#[test]
fn patch_delete_and_replace_in_lists() {
    let out = smp(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}),
        DEPLOYMENT,
    );
    let names: Vec<&str> = containers(&out)
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["worker"]);
    let out = smp(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"containers":[{"name":"solo","image":"x"},{"$patch":"replace"}]}}}}),
        DEPLOYMENT,
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name": "solo", "image": "x"}])
    );
}

#[test]
fn unknown_directives_and_bad_lists_are_rejected() {
    let e = smp_err(
        worker_deployment(),
        json!({"spec": {"$patch": "explode"}}),
        DEPLOYMENT,
    );
    assert!(e.starts_with("unknown patch type: explode in map:"), "{e}");
    let e = smp_err(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"containers":[{"$patch":"merge","name":"x"}]}}}}),
        DEPLOYMENT,
    );
    assert_eq!(e, "merging lists cannot yet be specified in the patch");
    let e = smp_err(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}),
        DEPLOYMENT,
    );
    assert!(
        e.contains("does not contain declared merge key: name"),
        "{e}"
    );
    let e = smp_err(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"containers":["x"]}}}}),
        DEPLOYMENT,
    );
    assert!(e.starts_with("list element types are not identical"), "{e}");
    let e = smp_err(
        worker_deployment(),
        json!({"spec":{"template":{"spec":{"$setElementOrder/containers":"x"}}}}),
        DEPLOYMENT,
    );
    assert_eq!(e, "expected a slice, but received a string");
    let e = smp_err(worker_deployment(), json!([1]), DEPLOYMENT);
    assert_eq!(e, "invalid JSON document");
}

#[test]
fn retain_keys_clears_other_keys_of_a_union() {
    // kubectl apply switching the strategy to Recreate.
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
    let bad =
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}});
    assert_eq!(
        smp_err(worker_deployment(), bad, DEPLOYMENT),
        "invalid patch format of retainKeys"
    );
}

#[test]
fn volumes_merge_and_retain_keys() {
    let pod = json!({"spec": {"containers": [], "volumes": [
        {"name": "a", "emptyDir": {}},
        {"name": "b", "configMap": {"name": "cm"}}
    ]}});
    let patch = json!({"spec": {"volumes": [{"name": "a", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]}});
    let out = smp(pod, patch, POD);
    assert_eq!(
        out["spec"]["volumes"],
        json!([{"name": "a", "hostPath": {"path": "/x"}}, {"name": "b", "configMap": {"name": "cm"}}])
    );
}

#[test]
fn set_element_order_orders_merged_lists() {
    // kubectl set image / edit: order given for the whole list, only changed items sent.
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"sidecar"},{"name":"worker"}],
        "containers":[{"name":"worker","image":"new"}]
    }}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    let c = containers(&out);
    assert_eq!(c[0]["name"], "sidecar");
    assert_eq!(c[1]["name"], "worker");
    assert_eq!(c[1]["image"], "new");
    assert_eq!(c[1]["imagePullPolicy"], "IfNotPresent");

    // Order only, no patch list.
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"sidecar"},{"name":"worker"}]
    }}}});
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    assert_eq!(containers(&out)[0]["name"], "sidecar");

    // Server-only items keep their place relative to the live list.
    let pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
    let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                                "containers": [{"name": "a", "image": "y"}]}});
    let out = smp(pod, patch, POD);
    assert_eq!(
        out["spec"]["containers"],
        json!([{"name": "b"}, {"name": "c"}, {"name": "a", "image": "y"}])
    );

    // Primitive lists.
    let original = json!({"metadata": {"finalizers": ["a", "b"]}});
    let patch =
        json!({"metadata": {"$setElementOrder/finalizers": ["b", "a", "c"], "finalizers": ["c"]}});
    let out = smp(original, patch, POD);
    assert_eq!(out["metadata"]["finalizers"], json!(["b", "a", "c"]));

    // A patch list out of the directive's order is rejected.
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"worker"}],
        "containers":[{"name":"sidecar","image":"x"}]
    }}}});
    let e = smp_err(worker_deployment(), patch, DEPLOYMENT);
    assert!(e.starts_with("The order in patch list:"), "{e}");
}

#[test]
fn kubectl_apply_patch_with_nulls_and_new_fields() {
    let patch = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 3, "template": {"spec": {
            "$setElementOrder/containers": [{"name": "worker"}, {"name": "sidecar"}],
            "containers": [{"name": "worker", "env": null, "command": ["run"]}]
        }}}
    });
    let out = smp(worker_deployment(), patch, DEPLOYMENT);
    let c = containers(&out);
    assert!(c[0].get("env").is_none());
    assert_eq!(c[0]["command"], json!(["run"]));
    assert_eq!(out["spec"]["replicas"], 3);
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        "{}"
    );
}

#[test]
fn service_ports_merge_on_port() {
    let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}});
    let out = smp(
        svc,
        json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
        "io.k8s.api.core.v1.Service",
    );
    assert_eq!(
        out["spec"]["ports"],
        json!([{"port": 80, "targetPort": 9090}, {"port": 443}])
    );
}

#[test]
fn replace_strategy_field_is_replaced() {
    // PodDisruptionBudgetSpec.selector has patchStrategy "replace".
    let pdb = json!({"spec": {"selector": {"matchLabels": {"a": "1"}}}});
    let out = smp(
        pdb,
        json!({"spec": {"selector": {"matchExpressions": []}}}),
        "io.k8s.api.policy.v1.PodDisruptionBudget",
    );
    assert_eq!(out["spec"]["selector"], json!({"matchExpressions": []}));
}

#[test]
fn unknown_definitions_merge_maps_and_replace_lists() {
    let out = smp(
        json!({"a": {"b": 1, "c": [1, 2]}}),
        json!({"a": {"d": 2, "c": [3]}}),
        "example.com.v1.Widget",
    );
    assert_eq!(out, json!({"a": {"b": 1, "c": [3], "d": 2}}));
}

#[test]
fn key_order_is_kept() {
    let out = smp(
        json!({"a": 1, "b": 2, "c": 3}),
        json!({"a": null, "b": 5}),
        "none",
    );
    let keys: Vec<&String> = out
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["b", "c"]);
}

#[test]
fn json_merge_patch_follows_rfc7386() {
    // Examples from RFC 7386 appendix A.
    let cases = [
        (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
        (
            json!({"a": "b"}),
            json!({"b": "c"}),
            json!({"a": "b", "b": "c"}),
        ),
        (json!({"a": "b"}), json!({"a": null}), json!({})),
        (
            json!({"a": "b", "b": "c"}),
            json!({"a": null}),
            json!({"b": "c"}),
        ),
        (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
        (
            json!({"a": {"b": "c"}}),
            json!({"a": {"b": "d", "c": null}}),
            json!({"a": {"b": "d"}}),
        ),
        (
            json!({"a": [{"b": "c"}]}),
            json!({"a": [1]}),
            json!({"a": [1]}),
        ),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        (json!({"a": "foo"}), json!(null), json!(null)),
        (json!({"a": "foo"}), json!("bar"), json!("bar")),
        (
            json!({"e": null}),
            json!({"a": 1}),
            json!({"e": null, "a": 1}),
        ),
        (
            json!([1, 2]),
            json!({"a": "b", "c": null}),
            json!({"a": "b"}),
        ),
        (
            json!({}),
            json!({"a": {"bb": {"ccc": null}}}),
            json!({"a": {"bb": {}}}),
        ),
    ];
    for (o, p, want) in cases {
        assert_eq!(json_merge_patch(&o, &p), want, "{o} + {p}");
    }
}

#[test]
fn json_patch_operations() {
    let doc = json!({"spec": {"replicas": 1, "list": ["a", "b"], "m": {"k": "v"}}});
    let out = json_patch(
        &doc,
        &json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/list/1", "value": "x"},
            {"op": "add", "path": "/spec/list/-", "value": "z"},
            {"op": "remove", "path": "/spec/list/0"},
            {"op": "copy", "from": "/spec/m", "path": "/spec/m2"},
            {"op": "move", "from": "/spec/m/k", "path": "/spec/moved"},
            {"op": "add", "path": "/metadata", "value": {"a~b/c": 1}},
            {"op": "test", "path": "/metadata/a~0b~1c", "value": 1}
        ]),
    );
    assert_eq!(
        out,
        Ok(json!({
            "spec": {"replicas": 3, "list": ["x", "b", "z"], "m": {}, "m2": {"k": "v"}, "moved": "v"},
            "metadata": {"a~b/c": 1}
        }))
    );
}

#[test]
fn json_patch_errors() {
    let doc = json!({"spec": {"replicas": 1, "list": []}});
    let err = |p: Value| match json_patch(&doc, &p) {
        Ok(v) => panic!("expected error, got {v}"),
        Err(e) => e,
    };
    assert_eq!(
        err(json!([{"op": "test", "path": "/spec/replicas", "value": 2}])),
        PatchError::DoesNotApply("testing value /spec/replicas failed: test failed".into())
    );
    assert!(matches!(
        err(json!([{"op": "replace", "path": "/spec/nope", "value": 2}])),
        PatchError::DoesNotApply(_)
    ));
    assert!(matches!(
        err(json!([{"op": "remove", "path": "/spec/list/0"}])),
        PatchError::DoesNotApply(_)
    ));
    assert!(matches!(
        err(json!([{"op": "add", "path": "/spec/list/5", "value": 1}])),
        PatchError::DoesNotApply(_)
    ));
    assert!(matches!(
        err(json!([{"op": "add", "path": "/no/such/parent", "value": 1}])),
        PatchError::DoesNotApply(_)
    ));
    assert_eq!(
        err(json!([{"op": "frob", "path": "/spec"}])),
        PatchError::Invalid("Unexpected kind: frob".into())
    );
    assert!(matches!(
        err(json!([{"op": "add", "path": "/spec/x"}])),
        PatchError::Invalid(_)
    ));
    assert!(matches!(err(json!({"op": "add"})), PatchError::Invalid(_)));
    assert!(matches!(
        err(json!([{"op": "move", "from": "/spec", "path": "/spec/inner"}])),
        PatchError::DoesNotApply(_)
    ));
}

/// A small deterministic generator (xorshift) so the fuzz test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &[
    "spec",
    "template",
    "containers",
    "name",
    "image",
    "env",
    "value",
    "ports",
    "containerPort",
    "volumes",
    "metadata",
    "labels",
    "finalizers",
    "strategy",
    "rollingUpdate",
    "type",
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$deleteFromPrimitiveList/finalizers",
    "$setElementOrder/finalizers",
    "replicas",
    "args",
    "x",
    "$setElementOrder",
    "$deleteFromPrimitiveList/",
    "emptyDir",
];
const STRINGS: &[&str] = &[
    "replace", "merge", "delete", "a", "worker", "", "type", "name",
];

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let choice = if depth == 0 {
        rng.below(4)
    } else {
        rng.below(7)
    };
    match choice {
        0 => Value::Null,
        1 => json!(rng.below(3)),
        2 => json!(rng.pick(STRINGS)),
        3 => json!(rng.below(2) == 0),
        4 | 5 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(5) {
                m.insert(rng.pick(KEYS).to_string(), random_value(rng, depth - 1));
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
    }
}

fn random_json_patch(rng: &mut Rng) -> Value {
    let ops = ["add", "remove", "replace", "move", "copy", "test", "bogus"];
    let paths = [
        "",
        "/",
        "/spec",
        "/spec/containers/0",
        "/spec/containers/-",
        "/metadata/labels/x",
        "/a~1b",
        "/spec/containers/01",
    ];
    Value::Array(
        (0..rng.below(4))
            .map(|_| {
                let mut op = json!({"op": rng.pick(&ops), "path": rng.pick(&paths)});
                if rng.below(2) == 0 {
                    op["from"] = json!(rng.pick(&paths));
                }
                if rng.below(3) != 0 {
                    op["value"] = random_value(rng, 2);
                }
                op
            })
            .collect(),
    )
}

/// Throws random and mutated documents at the three patch functions for `duration`:
/// they may fail, but must not panic.
fn fuzz(seed: u64, duration: std::time::Duration) -> u64 {
    let defs = [DEPLOYMENT, POD, "io.k8s.api.core.v1.Service", "unknown"];
    let mut rng = Rng(seed | 1);
    let start = std::time::Instant::now();
    let mut rounds = 0;
    while start.elapsed() < duration {
        let mut original = worker_deployment();
        if rng.below(2) == 0 {
            original = json_merge_patch(&original, &random_value(&mut rng, 4));
        }
        let patch = if rng.below(3) == 0 {
            let mut p = worker_deployment();
            p["spec"]["template"]["spec"] = random_value(&mut rng, 4);
            p
        } else {
            random_value(&mut rng, 5)
        };
        let def = defs[rng.below(defs.len() as u64) as usize];
        let _ = strategic_merge_patch(&original, &patch, def);
        let _ = strategic_merge_patch(&random_value(&mut rng, 4), &patch, def);
        let _ = json_merge_patch(&original, &patch);
        let _ = json_patch(&original, &random_json_patch(&mut rng));
        let _ = json_patch(&original, &patch);
        rounds += 1;
    }
    rounds
}

#[test]
fn fuzz_briefly() {
    let rounds = fuzz(0x5eed, std::time::Duration::from_secs(2));
    assert!(rounds > 0);
}

/// Run with `BERTH_FUZZ_SECS=600 cargo test -p berth-api --lib fuzz_long -- --ignored`.
#[test]
#[ignore]
fn fuzz_long() {
    let secs = std::env::var("BERTH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    eprintln!("fuzz seed {seed}");
    fuzz(seed, std::time::Duration::from_secs(secs));
}

/// Orderings from apimachinery's "preserve order" and "set elements order … with
/// server-only items" cases, with PodSpec.containers as the merging list.
#[test]
fn upstream_set_element_order_cases() {
    let items = |names: &[u64]| -> Value {
        Value::Array(names.iter().map(|n| json!({"name": n})).collect())
    };
    let names = |v: &Value| -> Vec<u64> {
        v["spec"]["containers"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["name"].as_u64()).collect())
            .unwrap_or_default()
    };
    type Case = (
        &'static [u64],
        &'static [u64],
        &'static [u64],
        &'static [u64],
    );
    let cases: &[Case] = &[
        // (current, $setElementOrder, patch list, result)
        (&[1, 2], &[4, 1, 2, 3], &[4, 3], &[4, 1, 2, 3]),
        (&[1, 2], &[1, 4, 2, 3], &[4, 3], &[1, 4, 2, 3]),
        (&[1, 3, 4, 2, 9], &[4, 2, 3, 1], &[], &[4, 2, 3, 1, 9]),
        (&[1, 2, 9, 3, 4], &[2, 1, 4, 3], &[], &[2, 1, 9, 4, 3]),
        (
            &[1, 2, 7, 9, 8, 3, 4],
            &[2, 1, 4, 3],
            &[],
            &[2, 1, 7, 9, 8, 4, 3],
        ),
    ];
    for (current, order, list, want) in cases {
        let mut patch = json!({"spec": {"$setElementOrder/containers": items(order)}});
        if !list.is_empty() {
            patch["spec"]["containers"] = items(list);
        }
        let out = smp(json!({"spec": {"containers": items(current)}}), patch, POD);
        assert_eq!(
            names(&out),
            want.to_vec(),
            "current {current:?} order {order:?}"
        );
    }
}
