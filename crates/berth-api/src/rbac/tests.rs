//! Unit tests of the RBAC module against kube-apiserver's behaviour.

use serde_json::{json, Value};

use super::*;

/// The bootstrap ClusterRoles with aggregation applied, as a running cluster has them.
fn aggregated_bootstrap_cluster_roles() -> Vec<Value> {
    let mut roles = bootstrap_cluster_roles();
    for (name, rules) in aggregate(&roles) {
        for role in roles.iter_mut() {
            if role["metadata"]["name"] == name.as_str() {
                role["rules"] = Value::Array(rules.clone());
            }
        }
    }
    roles
}

fn bootstrap_snapshot(extra_role_bindings: Vec<Value>) -> RbacSnapshot {
    let mut role_bindings = bootstrap_role_bindings();
    role_bindings.extend(extra_role_bindings);
    RbacSnapshot::new(
        bootstrap_roles(),
        aggregated_bootstrap_cluster_roles(),
        role_bindings,
        bootstrap_cluster_role_bindings(),
    )
}

fn user(name: &str, groups: &[&str]) -> Attributes {
    Attributes {
        user: name.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        ..Attributes::default()
    }
}

fn resource(
    mut attrs: Attributes,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: &str,
) -> Attributes {
    attrs.verb = verb.to_owned();
    attrs.api_group = group.to_owned();
    attrs.resource = resource.to_owned();
    attrs.namespace = namespace.to_owned();
    attrs.resource_request = true;
    attrs
}

fn path(mut attrs: Attributes, verb: &str, path: &str) -> Attributes {
    attrs.verb = verb.to_owned();
    attrs.path = path.to_owned();
    attrs.resource_request = false;
    attrs
}

fn sa_user(namespace: &str, name: &str) -> Attributes {
    user(
        &format!("system:serviceaccount:{namespace}:{name}"),
        &[
            "system:serviceaccounts",
            &format!("system:serviceaccounts:{namespace}"),
            "system:authenticated",
        ],
    )
}

fn anonymous() -> Attributes {
    user("system:anonymous", &["system:unauthenticated"])
}

fn denied() -> Decision {
    Decision::Deny {
        reason: String::new(),
    }
}

fn role_binding(
    namespace: &str,
    name: &str,
    role_kind: &str,
    role: &str,
    subjects: Value,
) -> Value {
    json!({
        "kind": "RoleBinding",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace},
        "subjects": subjects,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
    })
}

#[test]
fn system_masters_is_always_allowed() {
    let empty = RbacSnapshot::default();
    let admin = user(
        "kubernetes-admin",
        &["system:masters", "system:authenticated"],
    );
    let attrs = resource(admin.clone(), "delete", "apps", "deployments", "prod");
    assert_eq!(empty.authorize(&attrs), Decision::Allow);
    assert_eq!(
        empty.authorize(&path(admin, "get", "/metrics")),
        Decision::Allow
    );
}

#[test]
fn service_account_is_denied_with_the_apiserver_message() {
    let snapshot = bootstrap_snapshot(vec![]);
    let attrs = resource(
        sa_user("default", "nobody"),
        "list",
        "",
        "secrets",
        "default",
    );
    let Decision::Deny { reason } = snapshot.authorize(&attrs) else {
        panic!("a service account without bindings must be denied");
    };
    assert_eq!(reason, "");
    assert_eq!(
        forbidden_message(&attrs, &reason),
        r#"User "system:serviceaccount:default:nobody" cannot list resource "secrets" in API group "" in the namespace "default""#
    );
    assert_eq!(
        forbidden_status(&attrs, &reason),
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": r#"secrets is forbidden: User "system:serviceaccount:default:nobody" cannot list resource "secrets" in API group "" in the namespace "default""#,
            "reason": "Forbidden",
            "details": {"kind": "secrets"},
            "code": 403,
        })
    );
}

#[test]
fn forbidden_message_forms() {
    let jane = user("jane", &["system:authenticated"]);

    let nodes = resource(jane.clone(), "list", "", "nodes", "");
    assert_eq!(
        forbidden_message(&nodes, ""),
        r#"User "jane" cannot list resource "nodes" in API group "" at the cluster scope"#
    );

    let mut named = resource(jane.clone(), "get", "apps", "deployments", "web");
    named.name = "frontend".into();
    assert_eq!(
        forbidden_message(&named, ""),
        r#"User "jane" cannot get resource "deployments" in API group "apps" in the namespace "web""#
    );
    assert_eq!(
        forbidden_status(&named, "")["message"],
        r#"deployments.apps "frontend" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "web""#
    );
    assert_eq!(
        forbidden_status(&named, "")["details"],
        json!({"name": "frontend", "group": "apps", "kind": "deployments"})
    );

    let mut logs = resource(jane.clone(), "get", "", "pods", "default");
    logs.subresource = "log".into();
    logs.name = "web-0".into();
    assert_eq!(
        forbidden_message(&logs, ""),
        r#"User "jane" cannot get resource "pods/log" in API group "" in the namespace "default""#
    );

    let api = path(anonymous(), "get", "/api");
    assert_eq!(
        forbidden_message(&api, ""),
        r#"User "system:anonymous" cannot get path "/api""#
    );
    let status = forbidden_status(&api, "");
    assert_eq!(
        status["message"],
        r#"forbidden: User "system:anonymous" cannot get path "/api""#
    );
    assert_eq!(status["details"], json!({}));

    assert_eq!(
        forbidden_message(
            &nodes,
            r#"RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found"#
        ),
        r#"User "jane" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found"#
    );

    let odd = path(user("a\"b\\c\n", &[]), "get", "/x");
    assert_eq!(
        forbidden_message(&odd, ""),
        r#"User "a\"b\\c\n" cannot get path "/x""#
    );
}

#[test]
fn rolebinding_to_view_grants_reading_pods_in_its_namespace_only() {
    let binding = role_binding(
        "team-a",
        "builder-view",
        "ClusterRole",
        "view",
        json!([{"kind": "ServiceAccount", "name": "builder", "namespace": "team-a"}]),
    );
    let snapshot = bootstrap_snapshot(vec![binding]);
    let builder = sa_user("team-a", "builder");

    let list_here = resource(builder.clone(), "list", "", "pods", "team-a");
    assert_eq!(snapshot.authorize(&list_here), Decision::Allow);
    let watch_deploys = resource(builder.clone(), "watch", "apps", "deployments", "team-a");
    assert_eq!(snapshot.authorize(&watch_deploys), Decision::Allow);

    let list_elsewhere = resource(builder.clone(), "list", "", "pods", "team-b");
    assert_eq!(snapshot.authorize(&list_elsewhere), denied());
    let list_everywhere = resource(builder.clone(), "list", "", "pods", "");
    assert_eq!(snapshot.authorize(&list_everywhere), denied());
    let create_here = resource(builder.clone(), "create", "", "pods", "team-a");
    assert_eq!(snapshot.authorize(&create_here), denied());
    let secrets_here = resource(builder, "get", "", "secrets", "team-a");
    assert_eq!(snapshot.authorize(&secrets_here), denied());
}

#[test]
fn service_account_subject_defaults_to_the_binding_namespace() {
    let binding = role_binding(
        "team-a",
        "local-sa",
        "ClusterRole",
        "view",
        json!([{"kind": "ServiceAccount", "name": "builder"}]),
    );
    let snapshot = bootstrap_snapshot(vec![binding]);
    let here = resource(sa_user("team-a", "builder"), "get", "", "pods", "team-a");
    assert_eq!(snapshot.authorize(&here), Decision::Allow);
    let other = resource(sa_user("team-b", "builder"), "get", "", "pods", "team-a");
    assert_eq!(snapshot.authorize(&other), denied());
}

#[test]
fn resource_names_limit_a_rule() {
    let role = json!({
        "kind": "Role",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "one-config", "namespace": "default"},
        "rules": [{"verbs": ["get", "update"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["settings"]}],
    });
    let binding = role_binding(
        "default",
        "jane-one-config",
        "Role",
        "one-config",
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}]),
    );
    let snapshot = RbacSnapshot::new(vec![role], vec![], vec![binding], vec![]);
    let jane = user("jane", &["system:authenticated"]);

    let mut get = resource(jane.clone(), "get", "", "configmaps", "default");
    get.name = "settings".into();
    assert_eq!(snapshot.authorize(&get), Decision::Allow);

    let mut other = get.clone();
    other.name = "secrets-in-disguise".into();
    assert_eq!(snapshot.authorize(&other), denied());

    // A list has no name, so a rule with resourceNames never allows it.
    let list = resource(jane, "list", "", "configmaps", "default");
    assert_eq!(snapshot.authorize(&list), denied());
}

#[test]
fn subresources_need_their_own_rules() {
    let role = json!({
        "kind": "ClusterRole",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "pods-and-scale"},
        "rules": [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["update"], "apiGroups": ["*"], "resources": ["*/scale"]},
        ],
    });
    let binding = json!({
        "kind": "ClusterRoleBinding",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "jane"},
        "subjects": [{"kind": "User", "name": "jane"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pods-and-scale"},
    });
    let snapshot = RbacSnapshot::new(vec![], vec![role], vec![], vec![binding]);
    let jane = user("jane", &[]);

    let pod = resource(jane.clone(), "get", "", "pods", "default");
    assert_eq!(snapshot.authorize(&pod), Decision::Allow);
    let mut log = pod.clone();
    log.subresource = "log".into();
    assert_eq!(snapshot.authorize(&log), denied());

    let mut scale = resource(jane.clone(), "update", "apps", "deployments", "default");
    scale.subresource = "scale".into();
    assert_eq!(snapshot.authorize(&scale), Decision::Allow);
    let mut status = scale.clone();
    status.subresource = "status".into();
    assert_eq!(snapshot.authorize(&status), denied());
    let deployment = resource(jane, "update", "apps", "deployments", "default");
    assert_eq!(snapshot.authorize(&deployment), denied());

    // view grants pods/log but not pods/exec.
    let binding = role_binding(
        "default",
        "viewer",
        "ClusterRole",
        "view",
        json!([{"kind": "User", "name": "viewer"}]),
    );
    let snapshot = bootstrap_snapshot(vec![binding]);
    let mut log = resource(user("viewer", &[]), "get", "", "pods", "default");
    log.subresource = "log".into();
    assert_eq!(snapshot.authorize(&log), Decision::Allow);
    let mut exec = log.clone();
    exec.verb = "create".into();
    exec.subresource = "exec".into();
    assert_eq!(snapshot.authorize(&exec), denied());
}

#[test]
fn non_resource_urls_match_exactly_or_by_prefix() {
    let snapshot = bootstrap_snapshot(vec![]);
    let jane = user("jane", &["system:authenticated"]);
    for allowed in [
        "/healthz",
        "/api",
        "/api/v1",
        "/apis/apps/v1",
        "/openapi/v3",
        "/version",
    ] {
        assert_eq!(
            snapshot.authorize(&path(jane.clone(), "get", allowed)),
            Decision::Allow,
            "{allowed}"
        );
    }
    for refused in ["/healthz/etcd", "/metrics", "/apix", "/logs"] {
        assert_eq!(
            snapshot.authorize(&path(jane.clone(), "get", refused)),
            denied(),
            "{refused}"
        );
    }
    assert_eq!(
        snapshot.authorize(&path(jane.clone(), "post", "/api")),
        denied()
    );

    let rule = PolicyRule::from_value(&json!({"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}))
        .expect("a rule object");
    assert!(rule.non_resource_url_matches("/logs/"));
    assert!(rule.non_resource_url_matches("/logs/kube-apiserver.log"));
    assert!(!rule.non_resource_url_matches("/logs"));
}

#[test]
fn anonymous_reads_public_info_but_not_discovery() {
    let snapshot = bootstrap_snapshot(vec![]);
    let api = path(anonymous(), "get", "/api");
    assert_eq!(snapshot.authorize(&api), denied());
    for public in ["/version", "/version/", "/healthz", "/livez", "/readyz"] {
        assert_eq!(
            snapshot.authorize(&path(anonymous(), "get", public)),
            Decision::Allow,
            "{public}"
        );
    }
    let pods = resource(anonymous(), "list", "", "pods", "default");
    assert_eq!(snapshot.authorize(&pods), denied());

    // kubeadm lets anyone read the cluster-info ConfigMap, and nothing else there.
    let mut cluster_info = resource(anonymous(), "get", "", "configmaps", "kube-public");
    cluster_info.name = "cluster-info".into();
    assert_eq!(snapshot.authorize(&cluster_info), Decision::Allow);
    let mut other = cluster_info.clone();
    other.name = "other".into();
    assert_eq!(snapshot.authorize(&other), denied());
}

#[test]
fn aggregate_fills_admin_edit_and_view() {
    let roles = bootstrap_cluster_roles();
    let aggregated = aggregate(&roles);
    let names: Vec<&str> = aggregated.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["admin", "edit", "view"]);

    let rules_of = |name: &str| -> Vec<PolicyRule> {
        let (_, rules) = aggregated
            .iter()
            .find(|(n, _)| n == name)
            .expect("aggregated role");
        rules.iter().filter_map(PolicyRule::from_value).collect()
    };
    let view = rules_of("view");
    let edit = rules_of("edit");
    let admin = rules_of("admin");

    let list_pods = resource(user("x", &[]), "list", "", "pods", "default");
    assert!(view.iter().any(|r| r.allows(&list_pods)));
    assert_eq!(
        view[0].to_value(),
        json!({"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": [
            "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
            "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
            "services", "services/status"]})
    );

    // edit = system:aggregate-to-edit then view (name order); admin = edit then system:aggregate-to-admin.
    assert_eq!(edit.len(), 13 + view.len());
    assert_eq!(edit[13..], view[..]);
    assert_eq!(admin[..edit.len()], edit[..]);
    assert_eq!(admin.len(), edit.len() + 2);
    let create_roles = resource(
        user("x", &[]),
        "create",
        "rbac.authorization.k8s.io",
        "roles",
        "ns",
    );
    assert!(admin.iter().any(|r| r.allows(&create_roles)));
    assert!(!edit.iter().any(|r| r.allows(&create_roles)));

    // Once applied, nothing changes any more.
    assert!(aggregate(&aggregated_bootstrap_cluster_roles()).is_empty());
}

#[test]
fn aggregate_deduplicates_and_follows_selectors() {
    let roles = vec![
        json!({"metadata": {"name": "monitoring"}, "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"team": "mon"}},
            {"matchExpressions": [{"key": "extra", "operator": "Exists"}]},
        ]}}),
        json!({"metadata": {"name": "b", "labels": {"team": "mon"}}, "rules": [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        ]}),
        json!({"metadata": {"name": "a", "labels": {"team": "mon", "extra": "yes"}}, "rules": [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]},
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        ]}),
        json!({"metadata": {"name": "broken"}, "aggregationRule": {"clusterRoleSelectors": [
            {"matchExpressions": [{"key": "team", "operator": "Near"}]},
        ]}}),
        json!({"metadata": {"name": "empty"}, "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"team": "nobody"}},
        ]}, "rules": null}),
        json!("not an object"),
    ];
    assert_eq!(
        aggregate(&roles),
        vec![(
            "monitoring".to_owned(),
            vec![
                json!({"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]}),
                json!({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}),
            ]
        )]
    );
}

#[test]
fn missing_role_is_reported_as_the_reason() {
    let binding = role_binding(
        "default",
        "dangling",
        "ClusterRole",
        "gone",
        json!([{"kind": "User", "name": "jane"}]),
    );
    let snapshot = RbacSnapshot::new(vec![], vec![], vec![binding], vec![]);
    let attrs = resource(user("jane", &[]), "get", "", "pods", "default");
    assert_eq!(
        snapshot.authorize(&attrs),
        Decision::Deny {
            reason: r#"RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found"#.into()
        }
    );
    // Bindings of other users do not add reasons.
    let other = resource(user("joe", &[]), "get", "", "pods", "default");
    assert_eq!(snapshot.authorize(&other), denied());
}

#[test]
fn malformed_objects_are_ignored() {
    let good_role = json!({"metadata": {"name": "r"}, "rules": [
        "junk",
        {"verbs": ["get", 7], "apiGroups": [""], "resources": ["pods"]},
    ]});
    let good_binding = json!({
        "metadata": {"name": "b"},
        "subjects": [null, {"kind": "Group", "name": "devs"}],
        "roleRef": {"kind": "ClusterRole", "name": "r"},
    });
    let snapshot = RbacSnapshot::new(
        vec![json!(null), json!({"metadata": {"name": "no-namespace"}})],
        vec![json!([]), json!({"metadata": {}}), good_role],
        vec![
            json!({"metadata": {"name": "no-namespace"}, "roleRef": {"kind": "Role", "name": "x"}}),
        ],
        vec![
            json!({"metadata": {"name": "no-roleref"}}),
            json!(42),
            good_binding,
        ],
    );
    let attrs = resource(user("dev", &["devs"]), "get", "", "pods", "default");
    assert_eq!(snapshot.authorize(&attrs), Decision::Allow);
}

#[test]
fn from_objects_sorts_by_kind_and_rules_for_lists_rules() {
    let mut objects = bootstrap_cluster_roles();
    objects.extend(bootstrap_cluster_role_bindings());
    let snapshot = RbacSnapshot::from_objects(&objects);
    let (rules, errors) = snapshot.rules_for("nobody", &["system:authenticated".into()], "");
    assert!(errors.is_empty());
    // system:discovery, system:basic-user (2 rules) and system:public-info-viewer.
    assert_eq!(rules.len(), 4);
}

#[test]
fn bootstrap_objects_look_like_upstream() {
    let roles = bootstrap_cluster_roles();
    let names: Vec<&str> = roles
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for required in [
        "admin",
        "cluster-admin",
        "edit",
        "view",
        "system:discovery",
        "system:basic-user",
        "system:public-info-viewer",
        "system:node",
        "system:node-proxier",
        "system:kube-scheduler",
        "system:kube-controller-manager",
        "system:kube-dns",
        "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        "system:node-bootstrapper",
        "system:auth-delegator",
        "system:monitoring",
    ] {
        assert!(names.contains(&required), "{required}");
    }

    let admin = &roles[0];
    assert_eq!(
        admin,
        &json!({
            "kind": "ClusterRole",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {
                "name": "admin",
                "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            },
            "rules": null,
            "aggregationRule": {"clusterRoleSelectors": [
                {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}},
            ]},
        })
    );
    let edit = roles
        .iter()
        .find(|r| r["metadata"]["name"] == "edit")
        .expect("edit");
    assert_eq!(
        edit["metadata"]["labels"],
        json!({
            "kubernetes.io/bootstrapping": "rbac-defaults",
            "rbac.authorization.k8s.io/aggregate-to-admin": "true",
        })
    );

    let bindings = bootstrap_cluster_role_bindings();
    assert_eq!(
        bindings[0],
        json!({
            "kind": "ClusterRoleBinding",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {
                "name": "cluster-admin",
                "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            },
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        })
    );
    // Every binding points at a role that exists.
    let all_roles = bootstrap_roles();
    for binding in bindings.iter().chain(bootstrap_role_bindings().iter()) {
        let role_name = &binding["roleRef"]["name"];
        let found = match binding["roleRef"]["kind"].as_str() {
            Some("ClusterRole") => roles.iter().any(|r| r["metadata"]["name"] == *role_name),
            _ => all_roles.iter().any(|r| {
                r["metadata"]["name"] == *role_name
                    && r["metadata"]["namespace"] == binding["metadata"]["namespace"]
            }),
        };
        assert!(found, "{binding}");
    }
}

#[test]
fn bootstrap_identities_get_their_powers() {
    let snapshot = bootstrap_snapshot(vec![]);
    let node = user(
        "system:node:worker-1",
        &["system:nodes", "system:authenticated"],
    );
    assert_eq!(
        snapshot.authorize(&resource(node.clone(), "create", "", "nodes", "")),
        Decision::Allow
    );
    let mut node_status = resource(node, "patch", "", "nodes", "");
    node_status.subresource = "status".into();
    assert_eq!(snapshot.authorize(&node_status), Decision::Allow);

    let proxy = user("system:kube-proxy", &["system:authenticated"]);
    assert_eq!(
        snapshot.authorize(&resource(
            proxy,
            "watch",
            "discovery.k8s.io",
            "endpointslices",
            ""
        )),
        Decision::Allow
    );

    let scheduler = user("system:kube-scheduler", &["system:authenticated"]);
    let mut bind = resource(scheduler, "create", "", "pods", "default");
    bind.subresource = "binding".into();
    assert_eq!(snapshot.authorize(&bind), Decision::Allow);

    let token = user(
        "system:bootstrap:abcdef",
        &[
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:authenticated",
        ],
    );
    let csr = resource(
        token,
        "create",
        "certificates.k8s.io",
        "certificatesigningrequests",
        "",
    );
    assert_eq!(snapshot.authorize(&csr), Decision::Allow);

    let dns = sa_user("kube-system", "kube-dns");
    assert_eq!(
        snapshot.authorize(&resource(dns, "list", "", "services", "")),
        Decision::Allow
    );
}
