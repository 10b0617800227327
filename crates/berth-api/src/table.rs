//! Server-side printing: the `meta.k8s.io/v1` `Table` kube-apiserver returns for `as=Table`.
//!
//! Columns, cell contents and formats follow upstream's
//! `pkg/printers/internalversion/printers.go` as of Kubernetes 1.33. Like kube-apiserver,
//! rows always carry the wide (`priority: 1`) cells; kubectl hides those columns unless
//! it is run with `-o wide`. Ages are computed against a caller-supplied "now" so output is
//! deterministic in tests.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::selectors::{format_label_selector, format_labels, LabelSelector};

mod pod;

pub use pod::pod_status;

/// Which object each row carries, as the `includeObject` query parameter asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object (`includeObject=None`): `object` is `null`.
    None,
    /// A `PartialObjectMetadata` with the object's metadata (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query value (`None`, `Metadata`, `Object`); empty means
    /// the default.
    pub fn from_query(value: &str) -> Option<Self> {
        match value {
            "" | "Metadata" => Some(IncludeObject::Metadata),
            "None" => Some(IncludeObject::None),
            "Object" => Some(IncludeObject::Object),
            _ => None,
        }
    }
}

const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DOC: &str = "Names of each container in the template.";
const IMAGES_DOC: &str = "Images referenced by each container in the template.";
const SELECTOR_DOC: &str = "A label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

fn col(name: &str, ty: &str, priority: i64, description: &str) -> Value {
    json!({"name": name, "type": ty, "format": "", "description": description, "priority": priority})
}

fn name_col() -> Value {
    json!({"name": "Name", "type": "string", "format": "name", "description": NAME_DOC, "priority": 0})
}

fn age_col() -> Value {
    col("Age", "string", 0, AGE_DOC)
}

/// Kinds that upstream serves through the generic default table convertor (no printer):
/// `NAME  CREATED AT`.
fn uses_created_at(kind: &str) -> bool {
    matches!(
        kind,
        "Role" | "ClusterRole" | "LimitRange" | "CustomResourceDefinition"
    )
}

/// The `columnDefinitions` of the Table for `kind`, each
/// `{"name","type","format","description","priority"}`.
pub fn column_definitions(kind: &str) -> Vec<Value> {
    match kind {
        "Pod" => vec![
            name_col(),
            col("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "string", 0, "The aggregate status of the containers in this pod."),
            col("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            age_col(),
            col("IP", "string", 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            col("Node", "string", 1, "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName."),
            col("Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
            col("Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness. More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
        ],
        "Node" => vec![
            name_col(),
            col("Status", "string", 0, "The status of the node"),
            col("Roles", "string", 0, "The roles of the node"),
            age_col(),
            col("Version", "string", 0, "Kubelet Version reported by the node."),
            col("Internal-IP", "string", 1, "List of addresses reachable to the node."),
            col("External-IP", "string", 1, "List of addresses reachable to the node."),
            col("OS-Image", "string", 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
            col("Kernel-Version", "string", 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
            col("Container-Runtime", "string", 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
        ],
        "Namespace" => vec![
            name_col(),
            col("Status", "string", 0, "The status of the namespace"),
            age_col(),
        ],
        "Service" => vec![
            name_col(),
            col("Type", "string", 0, "type determines how the Service is exposed."),
            col("Cluster-IP", "string", 0, "clusterIP is the IP address of the service and is usually assigned randomly."),
            col("External-IP", "string", 0, "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            col("Port(s)", "string", 0, "The list of ports that are exposed by this service."),
            age_col(),
            col("Selector", "string", 1, "Route service traffic to pods with label keys and values matching this selector."),
        ],
        "Endpoints" => vec![
            name_col(),
            col("Endpoints", "string", 0, "The set of all endpoints is the union of all subsets."),
            age_col(),
        ],
        "EndpointSlice" => vec![
            name_col(),
            col("AddressType", "string", 0, "addressType specifies the type of address carried by this EndpointSlice."),
            col("Ports", "string", 0, "ports specifies the list of network ports exposed by each endpoint in this slice."),
            col("Endpoints", "string", 0, "endpoints is a list of unique endpoints in this slice."),
            age_col(),
        ],
        "Deployment" => vec![
            name_col(),
            col("Ready", "string", 0, "Number of the pod with ready state"),
            col("Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            col("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
            col("Selector", "string", 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
        ],
        "ReplicaSet" | "ReplicationController" => vec![
            name_col(),
            col("Desired", "integer", 0, "Replicas is the number of desired replicas."),
            col("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
            col("Ready", "integer", 0, "The number of ready replicas for this replica set."),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
            col("Selector", "string", 1, SELECTOR_DOC),
        ],
        "DaemonSet" => vec![
            name_col(),
            col("Desired", "integer", 0, "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
            col("Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            col("Ready", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            col("Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod"),
            col("Available", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            col("Node Selector", "string", 0, "NodeSelector is a selector which must be true for the pod to fit on a node."),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
            col("Selector", "string", 1, "A label query over pods that are managed by the daemon set."),
        ],
        "StatefulSet" => vec![
            name_col(),
            col("Ready", "string", 0, "Number of the pod with ready state"),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
        ],
        "Job" => vec![
            name_col(),
            col("Status", "string", 0, "Status of the job."),
            col("Completions", "string", 0, "The number of pods which reached phase Succeeded."),
            col("Duration", "string", 0, "Time required to complete the job."),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
            col("Selector", "string", 1, "A label query over pods that should match the pod count."),
        ],
        "CronJob" => vec![
            name_col(),
            col("Schedule", "string", 0, "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            col("Timezone", "string", 0, "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
            col("Suspend", "boolean", 0, "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
            col("Active", "integer", 0, "A list of pointers to currently running jobs."),
            col("Last Schedule", "string", 0, "Information when was the last time the job was successfully scheduled."),
            age_col(),
            col("Containers", "string", 1, CONTAINERS_DOC),
            col("Images", "string", 1, IMAGES_DOC),
            col("Selector", "string", 1, "A label query over pods that should match the pod count."),
        ],
        "ConfigMap" => vec![
            name_col(),
            col("Data", "string", 0, "Data contains the configuration data."),
            age_col(),
        ],
        "Secret" => vec![
            name_col(),
            col("Type", "string", 0, "Used to facilitate programmatic handling of secret data."),
            col("Data", "string", 0, "Data contains the secret data."),
            age_col(),
        ],
        "ServiceAccount" => vec![
            name_col(),
            col("Secrets", "string", 0, "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            age_col(),
        ],
        "Event" => vec![
            col("Last Seen", "string", 0, "The time at which the most recent occurrence of this event was recorded."),
            col("Type", "string", 0, "Type of this event (Normal, Warning), new types could be added in the future"),
            col("Reason", "string", 0, "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            col("Object", "string", 0, "The object that this event is about."),
            col("Subobject", "string", 1, "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement."),
            col("Source", "string", 1, "The component reporting this event. Should be a short machine understandable string."),
            col("Message", "string", 0, "A human-readable description of the status of this operation."),
            col("First Seen", "string", 1, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
            col("Count", "string", 1, "The number of times this event has occurred."),
            json!({"name": "Name", "type": "string", "format": "name", "description": NAME_DOC, "priority": 1}),
        ],
        "Lease" => vec![
            name_col(),
            col("Holder", "string", 0, "holderIdentity contains the identity of the holder of a current lease."),
            age_col(),
        ],
        "ResourceQuota" => vec![
            name_col(),
            col("Request", "string", 0, "Request represents a minimum amount of cpu/memory that a container may consume."),
            col("Limit", "string", 0, "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
            age_col(),
        ],
        "PriorityClass" => vec![
            name_col(),
            col("Value", "integer", 0, "value represents the integer value of this priority class."),
            col("Global-Default", "boolean", 0, "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class."),
            age_col(),
            col("PreemptionPolicy", "string", 0, "preemptionPolicy is the Policy for preempting pods with lower priority."),
        ],
        "CertificateSigningRequest" => vec![
            name_col(),
            age_col(),
            col("SignerName", "string", 0, "signerName indicates the requested signer, and is a qualified name."),
            col("Requestor", "string", 0, "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block."),
            col("RequestedDuration", "string", 0, "expirationSeconds is the requested duration of validity of the issued certificate."),
            col("Condition", "string", 0, "Conditions applied to the request, such as approval or denial."),
        ],
        "RoleBinding" | "ClusterRoleBinding" => {
            let what = if kind == "RoleBinding" { "roleBinding" } else { "clusterRoleBinding" };
            vec![
                name_col(),
                col("Role", "string", 0, "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                age_col(),
                col("Users", "string", 1, &format!("Users in the {what}")),
                col("Groups", "string", 1, &format!("Groups in the {what}")),
                col("ServiceAccounts", "string", 1, &format!("ServiceAccounts in the {what}")),
            ]
        }
        "PersistentVolumeClaim" => vec![
            name_col(),
            col("Status", "string", 0, "phase represents the current phase of PersistentVolumeClaim."),
            col("Volume", "string", 0, "volumeName is the binding reference to the PersistentVolume backing this claim."),
            col("Capacity", "string", 0, "capacity represents the actual resources of the underlying volume."),
            col("Access Modes", "string", 0, "accessModes contains the actual access modes the volume backing the PVC has."),
            col("StorageClass", "string", 0, "StorageClass of the pvc"),
            col("VolumeAttributesClass", "string", 0, "VolumeAttributesClass of the pvc"),
            age_col(),
            col("VolumeMode", "string", 1, "volumeMode defines what type of volume is required by the claim."),
        ],
        "PodDisruptionBudget" => vec![
            name_col(),
            col("Min Available", "string", 0, "The minimum number of pods that must be available."),
            col("Max Unavailable", "string", 0, "The maximum number of pods that may be unavailable."),
            col("Allowed Disruptions", "integer", 0, "Calculated number of pods that may be disrupted at this time."),
            age_col(),
        ],
        "NetworkPolicy" => vec![
            name_col(),
            col("Pod-Selector", "string", 0, "Selects the pods to which this NetworkPolicy object applies."),
            age_col(),
        ],
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => vec![
            name_col(),
            col("Webhooks", "integer", 0, "Webhooks indicates the number of webhooks registered in this configuration"),
            age_col(),
        ],
        k if uses_created_at(k) => vec![
            name_col(),
            col("Created At", "date", 0, AGE_DOC),
        ],
        _ => vec![name_col(), col("Age", "date", 0, AGE_DOC)],
    }
}

/// The cells of one row for `obj` of `kind` (wide cells included), with ages relative
/// to `now`.
pub fn row_cells(kind: &str, obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let name = Value::from(text(obj, "/metadata/name"));
    let age = Value::from(age(obj, now));
    match kind {
        "Pod" => pod::cells(obj, now),
        "Node" => node_cells(obj, name, age),
        "Namespace" => vec![name, text(obj, "/status/phase").into(), age],
        "Service" => service_cells(obj, name, age),
        "Endpoints" => vec![name, format_endpoints(obj).into(), age],
        "EndpointSlice" => vec![
            name,
            text(obj, "/addressType").into(),
            format_slice_ports(obj).into(),
            format_slice_endpoints(obj).into(),
            age,
        ],
        "Deployment" => {
            let selector = match obj.pointer("/spec/selector") {
                None => String::new(),
                Some(s) => LabelSelector::from_label_selector_json(s)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|_| "<invalid>".to_string()),
            };
            let (names, images) = containers(obj, "/spec/template/spec/containers");
            vec![
                name,
                format!("{}/{}", int(obj, "/status/readyReplicas"), replicas(obj)).into(),
                int(obj, "/status/updatedReplicas").into(),
                int(obj, "/status/availableReplicas").into(),
                age,
                names.into(),
                images.into(),
                selector.into(),
            ]
        }
        "ReplicaSet" => {
            let (names, images) = containers(obj, "/spec/template/spec/containers");
            vec![
                name,
                replicas(obj).into(),
                int(obj, "/status/replicas").into(),
                int(obj, "/status/readyReplicas").into(),
                age,
                names.into(),
                images.into(),
                format_label_selector(obj.pointer("/spec/selector").unwrap_or(&Value::Null)).into(),
            ]
        }
        "ReplicationController" => {
            let (names, images) = containers(obj, "/spec/template/spec/containers");
            vec![
                name,
                replicas(obj).into(),
                int(obj, "/status/replicas").into(),
                int(obj, "/status/readyReplicas").into(),
                age,
                names.into(),
                images.into(),
                format_labels(obj.pointer("/spec/selector").and_then(Value::as_object)).into(),
            ]
        }
        "DaemonSet" => {
            let (names, images) = containers(obj, "/spec/template/spec/containers");
            vec![
                name,
                int(obj, "/status/desiredNumberScheduled").into(),
                int(obj, "/status/currentNumberScheduled").into(),
                int(obj, "/status/numberReady").into(),
                int(obj, "/status/updatedNumberScheduled").into(),
                int(obj, "/status/numberAvailable").into(),
                format_labels(
                    obj.pointer("/spec/template/spec/nodeSelector")
                        .and_then(Value::as_object),
                )
                .into(),
                age,
                names.into(),
                images.into(),
                format_label_selector(obj.pointer("/spec/selector").unwrap_or(&Value::Null)).into(),
            ]
        }
        "StatefulSet" => {
            let (names, images) = containers(obj, "/spec/template/spec/containers");
            vec![
                name,
                format!("{}/{}", int(obj, "/status/readyReplicas"), replicas(obj)).into(),
                age,
                names.into(),
                images.into(),
            ]
        }
        "Job" => job_cells(obj, name, age, now),
        "CronJob" => {
            let last = match timestamp(obj, "/status/lastScheduleTime") {
                Some(t) => since(Some(t), now),
                None => "<none>".to_string(),
            };
            let suspend = match obj.pointer("/spec/suspend").and_then(Value::as_bool) {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            let active = obj
                .pointer("/status/active")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let (names, images) =
                containers(obj, "/spec/jobTemplate/spec/template/spec/containers");
            vec![
                name,
                text(obj, "/spec/schedule").into(),
                or_none(text(obj, "/spec/timeZone")).into(),
                suspend.into(),
                (active as i64).into(),
                last.into(),
                age,
                names.into(),
                images.into(),
                format_label_selector(
                    obj.pointer("/spec/jobTemplate/spec/selector")
                        .unwrap_or(&Value::Null),
                )
                .into(),
            ]
        }
        "ConfigMap" => vec![
            name,
            ((len_of(obj, "/data") + len_of(obj, "/binaryData")) as i64).into(),
            age,
        ],
        "Secret" => vec![
            name,
            text(obj, "/type").into(),
            (len_of(obj, "/data") as i64).into(),
            age,
        ],
        "ServiceAccount" => vec![name, (len_of(obj, "/secrets") as i64).into(), age],
        "Event" => event_cells(obj, now),
        "Lease" => vec![name, text(obj, "/spec/holderIdentity").into(), age],
        "ResourceQuota" => {
            let (request, limit) = quota_columns(obj);
            vec![name, request.into(), limit.into(), age]
        }
        "PriorityClass" => vec![
            name,
            int(obj, "/value").into(),
            obj.get("globalDefault")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .into(),
            age,
            text(obj, "/preemptionPolicy").into(),
        ],
        "CertificateSigningRequest" => {
            let duration = match obj
                .pointer("/spec/expirationSeconds")
                .and_then(Value::as_i64)
            {
                Some(secs) => human_duration_seconds(secs),
                None => "<none>".to_string(),
            };
            vec![
                name,
                age,
                or_none(text(obj, "/spec/signerName")).into(),
                text(obj, "/spec/username").into(),
                duration.into(),
                csr_condition(obj).into(),
            ]
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let role = format!(
                "{}/{}",
                text(obj, "/roleRef/kind"),
                text(obj, "/roleRef/name")
            );
            let (users, groups, sas) = subjects(obj);
            vec![
                name,
                role.into(),
                age,
                users.join(", ").into(),
                groups.join(", ").into(),
                sas.join(", ").into(),
            ]
        }
        "PersistentVolumeClaim" => pvc_cells(obj, name, age),
        "PodDisruptionBudget" => {
            let intstr = |p: &str| match obj.pointer(p) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => "N/A".to_string(),
            };
            vec![
                name,
                intstr("/spec/minAvailable").into(),
                intstr("/spec/maxUnavailable").into(),
                int(obj, "/status/disruptionsAllowed").into(),
                age,
            ]
        }
        "NetworkPolicy" => vec![
            name,
            format_label_selector(obj.pointer("/spec/podSelector").unwrap_or(&json!({}))).into(),
            age,
        ],
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
            vec![name, (len_of(obj, "/webhooks") as i64).into(), age]
        }
        k if uses_created_at(k) => {
            let created = timestamp(obj, "/metadata/creationTimestamp")
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
            vec![name, created.into()]
        }
        _ => vec![name, age],
    }
}

/// Row conditions upstream attaches (pods that have finished get `Completed`).
pub fn row_conditions(kind: &str, obj: &Value) -> Option<Value> {
    if kind != "Pod" {
        return None;
    }
    let (reason, message) = match text(obj, "/status/phase").as_str() {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

/// Builds the whole `meta.k8s.io/v1` Table for `objs` of `kind`. `list_meta` becomes the
/// Table's `metadata` (resourceVersion, continue, remainingItemCount); `null` gives `{}`.
pub fn table(
    kind: &str,
    objs: &[Value],
    include_object: IncludeObject,
    now: DateTime<Utc>,
    list_meta: Value,
) -> Value {
    let rows: Vec<Value> = objs
        .iter()
        .map(|obj| {
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(row_cells(kind, obj, now)));
            if let Some(c) = row_conditions(kind, obj) {
                row.insert("conditions".into(), c);
            }
            let object = match include_object {
                IncludeObject::None => Value::Null,
                IncludeObject::Object => obj.clone(),
                IncludeObject::Metadata => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
                }),
            };
            row.insert("object".into(), object);
            Value::Object(row)
        })
        .collect();
    let metadata = if list_meta.is_null() {
        json!({})
    } else {
        list_meta
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions(kind),
        "rows": rows,
    })
}

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

/// Formats a duration like upstream's `duration.HumanDuration` (`5s`, `2m3s`, `10m`,
/// `3h4m`, `2d3h`, `45d`, `3y20d`, `<invalid>` for clearly negative spans).
pub fn human_duration(d: chrono::TimeDelta) -> String {
    human_duration_seconds(d.num_milliseconds() / 1000)
}

fn human_duration_seconds(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{h}h", hours / 24);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{dy}d", hours / 24 / 365);
    }
    format!("{}y", hours / 24 / 365)
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when unset.
fn since(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => human_duration(now - t),
        None => "<unknown>".to_string(),
    }
}

// ---------------------------------------------------------------------------
// JSON helpers
// ---------------------------------------------------------------------------

fn text(obj: &Value, pointer: &str) -> String {
    match obj.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn len_of(obj: &Value, pointer: &str) -> usize {
    match obj.pointer(pointer) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn timestamp(obj: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    let s = obj.pointer(pointer)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        // Go's zero time serializes as this and means "unset".
        .filter(|t| t.timestamp() != -62135596800)
}

fn age(obj: &Value, now: DateTime<Utc>) -> String {
    since(timestamp(obj, "/metadata/creationTimestamp"), now)
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s
    }
}

/// `spec.replicas` of a workload; the API server defaults a missing value to 1.
fn replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// `layoutContainerCells`: comma-joined container names and images.
fn containers(obj: &Value, pointer: &str) -> (String, String) {
    let list = obj
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let names: Vec<String> = list.iter().map(|c| text(c, "/name")).collect();
    let images: Vec<String> = list.iter().map(|c| text(c, "/image")).collect();
    (names.join(","), images.join(","))
}

// ---------------------------------------------------------------------------
// Per-kind cells
// ---------------------------------------------------------------------------

fn node_cells(obj: &Value, name: Value, age: Value) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    let ready = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|conds| conds.iter().rfind(|c| text(c, "/type") == "Ready"));
    if let Some(cond) = ready {
        if text(cond, "/status") == "True" {
            status.push("Ready".to_string());
        } else {
            status.push("NotReady".to_string());
        }
    }
    if status.is_empty() {
        status.push("Unknown".to_string());
    }
    if obj
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        status.push("SchedulingDisabled".to_string());
    }

    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = obj.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            let role = if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
                r.to_string()
            } else if k == "kubernetes.io/role" {
                v.as_str().unwrap_or("").to_string()
            } else {
                continue;
            };
            if !role.is_empty() && !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    roles.sort();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };

    let address = |ty: &str| {
        obj.pointer("/status/addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|x| text(x, "/type") == ty))
            .map(|x| text(x, "/address"))
            .unwrap_or_else(|| "<none>".to_string())
    };
    let info = |field: &str| {
        let v = text(obj, &format!("/status/nodeInfo/{field}"));
        if v.is_empty() {
            "<unknown>".to_string()
        } else {
            v
        }
    };
    vec![
        name,
        status.join(",").into(),
        roles.into(),
        age,
        text(obj, "/status/nodeInfo/kubeletVersion").into(),
        address("InternalIP").into(),
        address("ExternalIP").into(),
        info("osImage").into(),
        info("kernelVersion").into(),
        info("containerRuntimeVersion").into(),
    ]
}

fn service_cells(obj: &Value, name: Value, age: Value) -> Vec<Value> {
    let ty = text(obj, "/spec/type");
    let mut cluster_ip = text(obj, "/spec/clusterIPs/0");
    if cluster_ip.is_empty() {
        cluster_ip = or_none(text(obj, "/spec/clusterIP"));
    }
    let external_ips: Vec<String> = obj
        .pointer("/spec/externalIPs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let external = match ty.as_str() {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            // Server-side tables are generated wide, so the list is not clipped.
            let mut lb: Vec<String> = obj
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|i| {
                            let ip = text(i, "/ip");
                            let host = text(i, "/hostname");
                            if !ip.is_empty() {
                                Some(ip)
                            } else if !host.is_empty() {
                                Some(host)
                            } else {
                                None
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            lb.sort();
            lb.dedup();
            let mut all = lb;
            all.extend(external_ips);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text(obj, "/spec/externalName"),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    let mut proto = text(p, "/protocol");
                    if proto.is_empty() {
                        proto = "TCP".to_string();
                    }
                    let node_port = int(p, "/nodePort");
                    if node_port > 0 {
                        format!("{}:{}/{}", int(p, "/port"), node_port, proto)
                    } else {
                        format!("{}/{}", int(p, "/port"), proto)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        name,
        ty.into(),
        cluster_ip.into(),
        external.into(),
        ports.into(),
        age,
        format_labels(obj.pointer("/spec/selector").and_then(Value::as_object)).into(),
    ]
}

fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn format_endpoints(obj: &Value) -> String {
    let subsets = obj
        .get("subsets")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addrs = ss
            .get("addresses")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let ports = ss
            .get("ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addrs.len();
            for a in addrs {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(text(a, "/ip"));
            }
            continue;
        }
        for port in ports {
            count += addrs.len();
            for a in addrs {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(&text(a, "/ip"), int(port, "/port")));
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

fn list_with_more(list: Vec<String>, more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count - max);
    }
    if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

fn format_slice_ports(obj: &Value) -> String {
    const MAX: usize = 3;
    let mut list = Vec::new();
    let mut more = false;
    let mut count = 0;
    for p in obj
        .get("ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if list.len() < MAX {
            let num = match (p.get("port").and_then(Value::as_i64), p.get("name")) {
                (Some(n), _) => n.to_string(),
                (None, Some(Value::String(name))) => name.clone(),
                _ => "*".to_string(),
            };
            list.push(num);
        } else if list.len() == MAX {
            more = true;
        }
        count += 1;
    }
    list_with_more(list, more, count, MAX)
}

fn format_slice_endpoints(obj: &Value) -> String {
    const MAX: usize = 3;
    let mut list = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ep in obj
        .get("endpoints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        for a in ep
            .get("addresses")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if list.len() < MAX {
                list.push(a.as_str().unwrap_or("").to_string());
            } else if list.len() == MAX {
                more = true;
            }
            count += 1;
        }
    }
    list_with_more(list, more, count, MAX)
}

fn condition_true(obj: &Value, ty: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| text(c, "/type") == ty))
        .is_some_and(|c| text(c, "/status") == "True")
}

fn job_cells(obj: &Value, name: Value, age: Value, now: DateTime<Utc>) -> Vec<Value> {
    let succeeded = int(obj, "/status/succeeded");
    let completions = match obj.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let parallelism = int(obj, "/spec/parallelism");
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let duration = match (
        timestamp(obj, "/status/startTime"),
        timestamp(obj, "/status/completionTime"),
    ) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now - start),
        (Some(start), Some(end)) => human_duration(end - start),
    };
    let status = if condition_true(obj, "Complete") {
        "Complete"
    } else if condition_true(obj, "Failed") {
        "Failed"
    } else if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        "Terminating"
    } else if condition_true(obj, "Suspended") {
        "Suspended"
    } else if condition_true(obj, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = containers(obj, "/spec/template/spec/containers");
    vec![
        name,
        status.into(),
        completions.into(),
        duration.into(),
        age,
        names.into(),
        images.into(),
        format_label_selector(obj.pointer("/spec/selector").unwrap_or(&Value::Null)).into(),
    ]
}

fn event_cells(obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    // events.k8s.io/v1 objects name the same fields differently.
    let new_api = text(obj, "/apiVersion").starts_with("events.k8s.io/");
    let (involved, message, first_ts, last_ts, count_ptr, source, controller, instance) = if new_api
    {
        (
            "/regarding",
            "/note",
            "/deprecatedFirstTimestamp",
            "/deprecatedLastTimestamp",
            "/deprecatedCount",
            "/deprecatedSource",
            "/reportingController",
            "/reportingInstance",
        )
    } else {
        (
            "/involvedObject",
            "/message",
            "/firstTimestamp",
            "/lastTimestamp",
            "/count",
            "/source",
            "/reportingComponent",
            "/reportingInstance",
        )
    };
    let first = match timestamp(obj, first_ts) {
        Some(t) => since(Some(t), now),
        None => since(timestamp(obj, "/eventTime"), now),
    };
    let mut last = match timestamp(obj, last_ts) {
        Some(t) => since(Some(t), now),
        None => first.clone(),
    };
    let mut count = int(obj, count_ptr);
    if obj.get("series").is_some_and(|s| !s.is_null()) {
        last = since(timestamp(obj, "/series/lastObservedTime"), now);
        count = int(obj, "/series/count");
    } else if count == 0 {
        // Singleton events don't have a count set in the new API.
        count = 1;
    }
    let kind = text(obj, &format!("{involved}/kind")).to_lowercase();
    let target_name = text(obj, &format!("{involved}/name"));
    let target = if target_name.is_empty() {
        kind
    } else {
        format!("{kind}/{target_name}")
    };
    let first_non_empty = |a: String, b: String| if a.is_empty() { b } else { a };
    let component = first_non_empty(
        text(obj, &format!("{source}/component")),
        text(obj, controller),
    );
    let host = first_non_empty(text(obj, &format!("{source}/host")), text(obj, instance));
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        last.into(),
        text(obj, "/type").into(),
        text(obj, "/reason").into(),
        target.into(),
        text(obj, &format!("{involved}/fieldPath")).into(),
        source.into(),
        text(obj, message).trim().to_string().into(),
        first.into(),
        count.into(),
        text(obj, "/metadata/name").into(),
    ]
}

fn quota_columns(obj: &Value) -> (String, String) {
    let Some(hard) = obj.pointer("/status/hard").and_then(Value::as_object) else {
        return (String::new(), String::new());
    };
    let mut resources: Vec<&String> = hard.keys().collect();
    resources.sort();
    let mut request = Vec::new();
    let mut limit = Vec::new();
    for r in resources {
        let used = obj
            .pointer("/status/used")
            .and_then(|u| u.get(r.as_str()))
            .map(quantity)
            .unwrap_or_else(|| "0".to_string());
        let hard_q = hard.get(r.as_str()).map(quantity).unwrap_or_default();
        let entry = format!("{r}: {used}/{hard_q}");
        let pieces: Vec<&str> = r.split('.').collect();
        if pieces.len() > 1 && pieces[0] == "limits" {
            limit.push(entry);
        } else {
            request.push(entry);
        }
    }
    (request.join(", "), limit.join(", "))
}

fn quantity(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0".to_string(),
    }
}

fn csr_condition(obj: &Value) -> String {
    let (mut approved, mut denied, mut failed) = (false, false, false);
    for c in obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        match text(c, "/type").as_str() {
            "Approved" => approved = true,
            "Denied" => denied = true,
            "Failed" => failed = true,
            _ => {}
        }
    }
    let mut status = if denied {
        "Denied".to_string()
    } else if approved {
        "Approved".to_string()
    } else {
        "Pending".to_string()
    };
    if failed {
        status.push_str(",Failed");
    }
    if !text(obj, "/status/certificate").is_empty() {
        status.push_str(",Issued");
    }
    status
}

/// `rbac.SubjectsStrings`: users, groups and `namespace:name` service accounts.
fn subjects(obj: &Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for s in obj
        .get("subjects")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let name = text(s, "/name");
        match text(s, "/kind").as_str() {
            "ServiceAccount" => sas.push(format!("{}:{name}", text(s, "/namespace"))),
            "User" => users.push(name),
            "Group" => groups.push(name),
            _ => {}
        }
    }
    (users, groups, sas)
}

fn pvc_cells(obj: &Value, name: Value, age: Value) -> Vec<Value> {
    let mut phase = text(obj, "/status/phase");
    if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        phase = "Terminating".to_string();
    }
    let volume = text(obj, "/spec/volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        let cap = obj
            .pointer("/status/capacity/storage")
            .map(quantity)
            .unwrap_or_else(|| "0".to_string());
        (cap, access_modes(obj.pointer("/status/accessModes")))
    };
    let class = {
        let c = text(obj, "/spec/storageClassName");
        if c.is_empty() {
            text(
                obj,
                "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
            )
        } else {
            c
        }
    };
    let vac = match obj.pointer("/spec/volumeAttributesClassName") {
        Some(Value::String(s)) => s.clone(),
        _ => "<unset>".to_string(),
    };
    let mode = match obj.pointer("/spec/volumeMode") {
        Some(Value::String(s)) => s.clone(),
        _ => "<unset>".to_string(),
    };
    vec![
        name,
        phase.into(),
        volume.into(),
        capacity.into(),
        modes.into(),
        class.into(),
        vac.into(),
        age,
        mode.into(),
    ]
}

/// `helper.GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order.
fn access_modes(modes: Option<&Value>) -> String {
    let have: Vec<&str> = modes
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(long, _)| have.contains(long))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

#[cfg(test)]
mod tests;
