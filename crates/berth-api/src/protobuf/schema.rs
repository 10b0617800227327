//! Protobuf field table, generated from k8s-pb 0.9.0 (JSON names from k8s-openapi 0.29.0 v1_33) by scripts/gen-protobuf-schema.py.
//! Do not edit; rerun the script. Pointer/omitempty flags come from the Go sources of k8s.io/api and k8s.io/apimachinery (kubernetes/api@10b39a39bcee, kubernetes/apimachinery@eed236ceee2c).

use super::types::{f, Kind::*, Message, INLINE, OMITEMPTY, POINTER, REPEATED};

/// Every message reachable from a served kind, sorted by name.
#[rustfmt::skip]
pub(crate) static MESSAGES: &[Message] = &[
    // 0
    Message { name: "io.k8s.api.apps.v1.ControllerRevision", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "data", RawExtension, 0),
        f(3, "revision", Int64, 0),
    ] },
    // 1
    Message { name: "io.k8s.api.apps.v1.DaemonSet", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(3), OMITEMPTY),
        f(3, "status", Message(4), OMITEMPTY),
    ] },
    // 2
    Message { name: "io.k8s.api.apps.v1.DaemonSetCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastTransitionTime", Time, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
    ] },
    // 3
    Message { name: "io.k8s.api.apps.v1.DaemonSetSpec", fields: &[
        f(1, "selector", Message(358), POINTER),
        f(2, "template", Message(241), 0),
        f(3, "updateStrategy", Message(5), OMITEMPTY),
        f(4, "minReadySeconds", Int32, OMITEMPTY),
        f(6, "revisionHistoryLimit", Int32, POINTER|OMITEMPTY),
    ] },
    // 4
    Message { name: "io.k8s.api.apps.v1.DaemonSetStatus", fields: &[
        f(1, "currentNumberScheduled", Int32, 0),
        f(2, "numberMisscheduled", Int32, 0),
        f(3, "desiredNumberScheduled", Int32, 0),
        f(4, "numberReady", Int32, 0),
        f(5, "observedGeneration", Int64, OMITEMPTY),
        f(6, "updatedNumberScheduled", Int32, OMITEMPTY),
        f(7, "numberAvailable", Int32, OMITEMPTY),
        f(8, "numberUnavailable", Int32, OMITEMPTY),
        f(9, "collisionCount", Int32, POINTER|OMITEMPTY),
        f(10, "conditions", Message(2), REPEATED|OMITEMPTY),
    ] },
    // 5
    Message { name: "io.k8s.api.apps.v1.DaemonSetUpdateStrategy", fields: &[
        f(1, "type", String, OMITEMPTY),
        f(2, "rollingUpdate", Message(15), POINTER|OMITEMPTY),
    ] },
    // 6
    Message { name: "io.k8s.api.apps.v1.Deployment", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(8), OMITEMPTY),
        f(3, "status", Message(9), OMITEMPTY),
    ] },
    // 7
    Message { name: "io.k8s.api.apps.v1.DeploymentCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
        f(6, "lastUpdateTime", Time, OMITEMPTY),
        f(7, "lastTransitionTime", Time, OMITEMPTY),
    ] },
    // 8
    Message { name: "io.k8s.api.apps.v1.DeploymentSpec", fields: &[
        f(1, "replicas", Int32, POINTER|OMITEMPTY),
        f(2, "selector", Message(358), POINTER),
        f(3, "template", Message(241), 0),
        f(4, "strategy", Message(10), OMITEMPTY),
        f(5, "minReadySeconds", Int32, OMITEMPTY),
        f(6, "revisionHistoryLimit", Int32, POINTER|OMITEMPTY),
        f(7, "paused", Bool, OMITEMPTY),
        f(9, "progressDeadlineSeconds", Int32, POINTER|OMITEMPTY),
    ] },
    // 9
    Message { name: "io.k8s.api.apps.v1.DeploymentStatus", fields: &[
        f(1, "observedGeneration", Int64, OMITEMPTY),
        f(2, "replicas", Int32, OMITEMPTY),
        f(3, "updatedReplicas", Int32, OMITEMPTY),
        f(4, "availableReplicas", Int32, OMITEMPTY),
        f(5, "unavailableReplicas", Int32, OMITEMPTY),
        f(6, "conditions", Message(7), REPEATED|OMITEMPTY),
        f(7, "readyReplicas", Int32, OMITEMPTY),
        f(8, "collisionCount", Int32, POINTER|OMITEMPTY),
        f(9, "terminatingReplicas", Int32, POINTER|OMITEMPTY),
    ] },
    // 10
    Message { name: "io.k8s.api.apps.v1.DeploymentStrategy", fields: &[
        f(1, "type", String, OMITEMPTY),
        f(2, "rollingUpdate", Message(16), POINTER|OMITEMPTY),
    ] },
    // 11
    Message { name: "io.k8s.api.apps.v1.ReplicaSet", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(13), OMITEMPTY),
        f(3, "status", Message(14), OMITEMPTY),
    ] },
    // 12
    Message { name: "io.k8s.api.apps.v1.ReplicaSetCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastTransitionTime", Time, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
    ] },
    // 13
    Message { name: "io.k8s.api.apps.v1.ReplicaSetSpec", fields: &[
        f(1, "replicas", Int32, POINTER|OMITEMPTY),
        f(2, "selector", Message(358), POINTER),
        f(3, "template", Message(241), OMITEMPTY),
        f(4, "minReadySeconds", Int32, OMITEMPTY),
    ] },
    // 14
    Message { name: "io.k8s.api.apps.v1.ReplicaSetStatus", fields: &[
        f(1, "replicas", Int32, 0),
        f(2, "fullyLabeledReplicas", Int32, OMITEMPTY),
        f(3, "observedGeneration", Int64, OMITEMPTY),
        f(4, "readyReplicas", Int32, OMITEMPTY),
        f(5, "availableReplicas", Int32, OMITEMPTY),
        f(6, "conditions", Message(12), REPEATED|OMITEMPTY),
        f(7, "terminatingReplicas", Int32, POINTER|OMITEMPTY),
    ] },
    // 15
    Message { name: "io.k8s.api.apps.v1.RollingUpdateDaemonSet", fields: &[
        f(1, "maxUnavailable", IntOrString, POINTER|OMITEMPTY),
        f(2, "maxSurge", IntOrString, POINTER|OMITEMPTY),
    ] },
    // 16
    Message { name: "io.k8s.api.apps.v1.RollingUpdateDeployment", fields: &[
        f(1, "maxUnavailable", IntOrString, POINTER|OMITEMPTY),
        f(2, "maxSurge", IntOrString, POINTER|OMITEMPTY),
    ] },
    // 17
    Message { name: "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy", fields: &[
        f(1, "partition", Int32, POINTER|OMITEMPTY),
        f(2, "maxUnavailable", IntOrString, POINTER|OMITEMPTY),
    ] },
    // 18
    Message { name: "io.k8s.api.apps.v1.StatefulSet", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(22), OMITEMPTY),
        f(3, "status", Message(23), OMITEMPTY),
    ] },
    // 19
    Message { name: "io.k8s.api.apps.v1.StatefulSetCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastTransitionTime", Time, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
    ] },
    // 20
    Message { name: "io.k8s.api.apps.v1.StatefulSetOrdinals", fields: &[
        f(1, "start", Int32, 0),
    ] },
    // 21
    Message { name: "io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", fields: &[
        f(1, "whenDeleted", String, OMITEMPTY),
        f(2, "whenScaled", String, OMITEMPTY),
    ] },
    // 22
    Message { name: "io.k8s.api.apps.v1.StatefulSetSpec", fields: &[
        f(1, "replicas", Int32, POINTER|OMITEMPTY),
        f(2, "selector", Message(358), POINTER),
        f(3, "template", Message(241), 0),
        f(4, "volumeClaimTemplates", Message(208), REPEATED|OMITEMPTY),
        f(5, "serviceName", String, 0),
        f(6, "podManagementPolicy", String, OMITEMPTY),
        f(7, "updateStrategy", Message(24), OMITEMPTY),
        f(8, "revisionHistoryLimit", Int32, POINTER|OMITEMPTY),
        f(9, "minReadySeconds", Int32, OMITEMPTY),
        f(10, "persistentVolumeClaimRetentionPolicy", Message(21), POINTER|OMITEMPTY),
        f(11, "ordinals", Message(20), POINTER|OMITEMPTY),
    ] },
    // 23
    Message { name: "io.k8s.api.apps.v1.StatefulSetStatus", fields: &[
        f(1, "observedGeneration", Int64, OMITEMPTY),
        f(2, "replicas", Int32, 0),
        f(3, "readyReplicas", Int32, OMITEMPTY),
        f(4, "currentReplicas", Int32, OMITEMPTY),
        f(5, "updatedReplicas", Int32, OMITEMPTY),
        f(6, "currentRevision", String, OMITEMPTY),
        f(7, "updateRevision", String, OMITEMPTY),
        f(9, "collisionCount", Int32, POINTER|OMITEMPTY),
        f(10, "conditions", Message(19), REPEATED|OMITEMPTY),
        f(11, "availableReplicas", Int32, 0),
    ] },
    // 24
    Message { name: "io.k8s.api.apps.v1.StatefulSetUpdateStrategy", fields: &[
        f(1, "type", String, OMITEMPTY),
        f(2, "rollingUpdate", Message(17), POINTER|OMITEMPTY),
    ] },
    // 25
    Message { name: "io.k8s.api.authentication.v1.BoundObjectReference", fields: &[
        f(1, "kind", String, OMITEMPTY),
        f(2, "apiVersion", String, OMITEMPTY),
        f(3, "name", String, OMITEMPTY),
        f(4, "uid", String, OMITEMPTY),
    ] },
    // 26
    Message { name: "io.k8s.api.authentication.v1.SelfSubjectReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "status", Message(27), OMITEMPTY),
    ] },
    // 27
    Message { name: "io.k8s.api.authentication.v1.SelfSubjectReviewStatus", fields: &[
        f(1, "userInfo", Message(34), OMITEMPTY),
    ] },
    // 28
    Message { name: "io.k8s.api.authentication.v1.TokenRequest", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(29), 0),
        f(3, "status", Message(30), OMITEMPTY),
    ] },
    // 29
    Message { name: "io.k8s.api.authentication.v1.TokenRequestSpec", fields: &[
        f(1, "audiences", String, REPEATED),
        f(3, "boundObjectRef", Message(25), POINTER),
        f(4, "expirationSeconds", Int64, POINTER),
    ] },
    // 30
    Message { name: "io.k8s.api.authentication.v1.TokenRequestStatus", fields: &[
        f(1, "token", String, 0),
        f(2, "expirationTimestamp", Time, 0),
    ] },
    // 31
    Message { name: "io.k8s.api.authentication.v1.TokenReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(32), 0),
        f(3, "status", Message(33), OMITEMPTY),
    ] },
    // 32
    Message { name: "io.k8s.api.authentication.v1.TokenReviewSpec", fields: &[
        f(1, "token", String, OMITEMPTY),
        f(2, "audiences", String, REPEATED|OMITEMPTY),
    ] },
    // 33
    Message { name: "io.k8s.api.authentication.v1.TokenReviewStatus", fields: &[
        f(1, "authenticated", Bool, OMITEMPTY),
        f(2, "user", Message(34), OMITEMPTY),
        f(3, "error", String, OMITEMPTY),
        f(4, "audiences", String, REPEATED|OMITEMPTY),
    ] },
    // 34
    Message { name: "io.k8s.api.authentication.v1.UserInfo", fields: &[
        f(1, "username", String, OMITEMPTY),
        f(2, "uid", String, OMITEMPTY),
        f(3, "groups", String, REPEATED|OMITEMPTY),
        f(4, "extra", Map(&StringList), OMITEMPTY),
    ] },
    // 35
    Message { name: "io.k8s.api.authorization.v1.FieldSelectorAttributes", fields: &[
        f(1, "rawSelector", String, OMITEMPTY),
        f(2, "requirements", Message(357), REPEATED|OMITEMPTY),
    ] },
    // 36
    Message { name: "io.k8s.api.authorization.v1.LabelSelectorAttributes", fields: &[
        f(1, "rawSelector", String, OMITEMPTY),
        f(2, "requirements", Message(359), REPEATED|OMITEMPTY),
    ] },
    // 37
    Message { name: "io.k8s.api.authorization.v1.LocalSubjectAccessReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(47), 0),
        f(3, "status", Message(48), OMITEMPTY),
    ] },
    // 38
    Message { name: "io.k8s.api.authorization.v1.NonResourceAttributes", fields: &[
        f(1, "path", String, OMITEMPTY),
        f(2, "verb", String, OMITEMPTY),
    ] },
    // 39
    Message { name: "io.k8s.api.authorization.v1.NonResourceRule", fields: &[
        f(1, "verbs", String, REPEATED),
        f(2, "nonResourceURLs", String, REPEATED|OMITEMPTY),
    ] },
    // 40
    Message { name: "io.k8s.api.authorization.v1.ResourceAttributes", fields: &[
        f(1, "namespace", String, OMITEMPTY),
        f(2, "verb", String, OMITEMPTY),
        f(3, "group", String, OMITEMPTY),
        f(4, "version", String, OMITEMPTY),
        f(5, "resource", String, OMITEMPTY),
        f(6, "subresource", String, OMITEMPTY),
        f(7, "name", String, OMITEMPTY),
        f(8, "fieldSelector", Message(35), POINTER|OMITEMPTY),
        f(9, "labelSelector", Message(36), POINTER|OMITEMPTY),
    ] },
    // 41
    Message { name: "io.k8s.api.authorization.v1.ResourceRule", fields: &[
        f(1, "verbs", String, REPEATED),
        f(2, "apiGroups", String, REPEATED|OMITEMPTY),
        f(3, "resources", String, REPEATED|OMITEMPTY),
        f(4, "resourceNames", String, REPEATED|OMITEMPTY),
    ] },
    // 42
    Message { name: "io.k8s.api.authorization.v1.SelfSubjectAccessReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(43), 0),
        f(3, "status", Message(48), OMITEMPTY),
    ] },
    // 43
    Message { name: "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec", fields: &[
        f(1, "resourceAttributes", Message(40), POINTER|OMITEMPTY),
        f(2, "nonResourceAttributes", Message(38), POINTER|OMITEMPTY),
    ] },
    // 44
    Message { name: "io.k8s.api.authorization.v1.SelfSubjectRulesReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(45), 0),
        f(3, "status", Message(49), OMITEMPTY),
    ] },
    // 45
    Message { name: "io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec", fields: &[
        f(1, "namespace", String, OMITEMPTY),
    ] },
    // 46
    Message { name: "io.k8s.api.authorization.v1.SubjectAccessReview", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(47), 0),
        f(3, "status", Message(48), OMITEMPTY),
    ] },
    // 47
    Message { name: "io.k8s.api.authorization.v1.SubjectAccessReviewSpec", fields: &[
        f(1, "resourceAttributes", Message(40), POINTER|OMITEMPTY),
        f(2, "nonResourceAttributes", Message(38), POINTER|OMITEMPTY),
        f(3, "user", String, OMITEMPTY),
        f(4, "groups", String, REPEATED|OMITEMPTY),
        f(5, "extra", Map(&StringList), OMITEMPTY),
        f(6, "uid", String, OMITEMPTY),
    ] },
    // 48
    Message { name: "io.k8s.api.authorization.v1.SubjectAccessReviewStatus", fields: &[
        f(1, "allowed", Bool, 0),
        f(2, "reason", String, OMITEMPTY),
        f(3, "evaluationError", String, OMITEMPTY),
        f(4, "denied", Bool, OMITEMPTY),
    ] },
    // 49
    Message { name: "io.k8s.api.authorization.v1.SubjectRulesReviewStatus", fields: &[
        f(1, "resourceRules", Message(41), REPEATED),
        f(2, "nonResourceRules", Message(39), REPEATED),
        f(3, "incomplete", Bool, 0),
        f(4, "evaluationError", String, OMITEMPTY),
    ] },
    // 50
    Message { name: "io.k8s.api.autoscaling.v1.Scale", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(51), OMITEMPTY),
        f(3, "status", Message(52), OMITEMPTY),
    ] },
    // 51
    Message { name: "io.k8s.api.autoscaling.v1.ScaleSpec", fields: &[
        f(1, "replicas", Int32, OMITEMPTY),
    ] },
    // 52
    Message { name: "io.k8s.api.autoscaling.v1.ScaleStatus", fields: &[
        f(1, "replicas", Int32, 0),
        f(2, "selector", String, OMITEMPTY),
    ] },
    // 53
    Message { name: "io.k8s.api.autoscaling.v2.ContainerResourceMetricSource", fields: &[
        f(1, "name", String, 0),
        f(2, "target", Message(68), 0),
        f(3, "container", String, 0),
    ] },
    // 54
    Message { name: "io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "current", Message(69), 0),
        f(3, "container", String, 0),
    ] },
    // 55
    Message { name: "io.k8s.api.autoscaling.v2.CrossVersionObjectReference", fields: &[
        f(1, "kind", String, 0),
        f(2, "name", String, 0),
        f(3, "apiVersion", String, OMITEMPTY),
    ] },
    // 56
    Message { name: "io.k8s.api.autoscaling.v2.ExternalMetricSource", fields: &[
        f(1, "metric", Message(65), 0),
        f(2, "target", Message(68), 0),
    ] },
    // 57
    Message { name: "io.k8s.api.autoscaling.v2.ExternalMetricStatus", fields: &[
        f(1, "metric", Message(65), 0),
        f(2, "current", Message(69), 0),
    ] },
    // 58
    Message { name: "io.k8s.api.autoscaling.v2.HPAScalingPolicy", fields: &[
        f(1, "type", String, 0),
        f(2, "value", Int32, 0),
        f(3, "periodSeconds", Int32, 0),
    ] },
    // 59
    Message { name: "io.k8s.api.autoscaling.v2.HPAScalingRules", fields: &[
        f(1, "selectPolicy", String, POINTER|OMITEMPTY),
        f(2, "policies", Message(58), REPEATED|OMITEMPTY),
        f(3, "stabilizationWindowSeconds", Int32, POINTER|OMITEMPTY),
        f(4, "tolerance", Quantity, POINTER|OMITEMPTY),
    ] },
    // 60
    Message { name: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(63), OMITEMPTY),
        f(3, "status", Message(64), OMITEMPTY),
    ] },
    // 61
    Message { name: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior", fields: &[
        f(1, "scaleUp", Message(59), POINTER|OMITEMPTY),
        f(2, "scaleDown", Message(59), POINTER|OMITEMPTY),
    ] },
    // 62
    Message { name: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastTransitionTime", Time, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
    ] },
    // 63
    Message { name: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec", fields: &[
        f(1, "scaleTargetRef", Message(55), 0),
        f(2, "minReplicas", Int32, POINTER|OMITEMPTY),
        f(3, "maxReplicas", Int32, 0),
        f(4, "metrics", Message(66), REPEATED|OMITEMPTY),
        f(5, "behavior", Message(61), POINTER|OMITEMPTY),
    ] },
    // 64
    Message { name: "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus", fields: &[
        f(1, "observedGeneration", Int64, POINTER|OMITEMPTY),
        f(2, "lastScaleTime", Time, POINTER|OMITEMPTY),
        f(3, "currentReplicas", Int32, OMITEMPTY),
        f(4, "desiredReplicas", Int32, 0),
        f(5, "currentMetrics", Message(67), REPEATED),
        f(6, "conditions", Message(62), REPEATED|OMITEMPTY),
    ] },
    // 65
    Message { name: "io.k8s.api.autoscaling.v2.MetricIdentifier", fields: &[
        f(1, "name", String, 0),
        f(2, "selector", Message(358), POINTER|OMITEMPTY),
    ] },
    // 66
    Message { name: "io.k8s.api.autoscaling.v2.MetricSpec", fields: &[
        f(1, "type", String, 0),
        f(2, "object", Message(70), POINTER|OMITEMPTY),
        f(3, "pods", Message(72), POINTER|OMITEMPTY),
        f(4, "resource", Message(74), POINTER|OMITEMPTY),
        f(5, "external", Message(56), POINTER|OMITEMPTY),
        f(7, "containerResource", Message(53), POINTER|OMITEMPTY),
    ] },
    // 67
    Message { name: "io.k8s.api.autoscaling.v2.MetricStatus", fields: &[
        f(1, "type", String, 0),
        f(2, "object", Message(71), POINTER|OMITEMPTY),
        f(3, "pods", Message(73), POINTER|OMITEMPTY),
        f(4, "resource", Message(75), POINTER|OMITEMPTY),
        f(5, "external", Message(57), POINTER|OMITEMPTY),
        f(7, "containerResource", Message(54), POINTER|OMITEMPTY),
    ] },
    // 68
    Message { name: "io.k8s.api.autoscaling.v2.MetricTarget", fields: &[
        f(1, "type", String, 0),
        f(2, "value", Quantity, POINTER|OMITEMPTY),
        f(3, "averageValue", Quantity, POINTER|OMITEMPTY),
        f(4, "averageUtilization", Int32, POINTER|OMITEMPTY),
    ] },
    // 69
    Message { name: "io.k8s.api.autoscaling.v2.MetricValueStatus", fields: &[
        f(1, "value", Quantity, POINTER|OMITEMPTY),
        f(2, "averageValue", Quantity, POINTER|OMITEMPTY),
        f(3, "averageUtilization", Int32, POINTER|OMITEMPTY),
    ] },
    // 70
    Message { name: "io.k8s.api.autoscaling.v2.ObjectMetricSource", fields: &[
        f(1, "describedObject", Message(55), 0),
        f(2, "target", Message(68), 0),
        f(3, "metric", Message(65), 0),
    ] },
    // 71
    Message { name: "io.k8s.api.autoscaling.v2.ObjectMetricStatus", fields: &[
        f(1, "metric", Message(65), 0),
        f(2, "current", Message(69), 0),
        f(3, "describedObject", Message(55), 0),
    ] },
    // 72
    Message { name: "io.k8s.api.autoscaling.v2.PodsMetricSource", fields: &[
        f(1, "metric", Message(65), 0),
        f(2, "target", Message(68), 0),
    ] },
    // 73
    Message { name: "io.k8s.api.autoscaling.v2.PodsMetricStatus", fields: &[
        f(1, "metric", Message(65), 0),
        f(2, "current", Message(69), 0),
    ] },
    // 74
    Message { name: "io.k8s.api.autoscaling.v2.ResourceMetricSource", fields: &[
        f(1, "name", String, 0),
        f(2, "target", Message(68), 0),
    ] },
    // 75
    Message { name: "io.k8s.api.autoscaling.v2.ResourceMetricStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "current", Message(69), 0),
    ] },
    // 76
    Message { name: "io.k8s.api.batch.v1.CronJob", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(77), OMITEMPTY),
        f(3, "status", Message(78), OMITEMPTY),
    ] },
    // 77
    Message { name: "io.k8s.api.batch.v1.CronJobSpec", fields: &[
        f(1, "schedule", String, 0),
        f(2, "startingDeadlineSeconds", Int64, POINTER|OMITEMPTY),
        f(3, "concurrencyPolicy", String, OMITEMPTY),
        f(4, "suspend", Bool, POINTER|OMITEMPTY),
        f(5, "jobTemplate", Message(83), 0),
        f(6, "successfulJobsHistoryLimit", Int32, POINTER|OMITEMPTY),
        f(7, "failedJobsHistoryLimit", Int32, POINTER|OMITEMPTY),
        f(8, "timeZone", String, POINTER|OMITEMPTY),
    ] },
    // 78
    Message { name: "io.k8s.api.batch.v1.CronJobStatus", fields: &[
        f(1, "active", Message(206), REPEATED|OMITEMPTY),
        f(4, "lastScheduleTime", Time, POINTER|OMITEMPTY),
        f(5, "lastSuccessfulTime", Time, POINTER|OMITEMPTY),
    ] },
    // 79
    Message { name: "io.k8s.api.batch.v1.Job", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(81), OMITEMPTY),
        f(3, "status", Message(82), OMITEMPTY),
    ] },
    // 80
    Message { name: "io.k8s.api.batch.v1.JobCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastProbeTime", Time, OMITEMPTY),
        f(4, "lastTransitionTime", Time, OMITEMPTY),
        f(5, "reason", String, OMITEMPTY),
        f(6, "message", String, OMITEMPTY),
    ] },
    // 81
    Message { name: "io.k8s.api.batch.v1.JobSpec", fields: &[
        f(1, "parallelism", Int32, POINTER|OMITEMPTY),
        f(2, "completions", Int32, POINTER|OMITEMPTY),
        f(3, "activeDeadlineSeconds", Int64, POINTER|OMITEMPTY),
        f(4, "selector", Message(358), POINTER|OMITEMPTY),
        f(5, "manualSelector", Bool, POINTER|OMITEMPTY),
        f(6, "template", Message(241), 0),
        f(7, "backoffLimit", Int32, POINTER|OMITEMPTY),
        f(8, "ttlSecondsAfterFinished", Int32, POINTER|OMITEMPTY),
        f(9, "completionMode", String, POINTER|OMITEMPTY),
        f(10, "suspend", Bool, POINTER|OMITEMPTY),
        f(11, "podFailurePolicy", Message(84), POINTER|OMITEMPTY),
        f(12, "backoffLimitPerIndex", Int32, POINTER|OMITEMPTY),
        f(13, "maxFailedIndexes", Int32, POINTER|OMITEMPTY),
        f(14, "podReplacementPolicy", String, POINTER|OMITEMPTY),
        f(15, "managedBy", String, POINTER|OMITEMPTY),
        f(16, "successPolicy", Message(88), POINTER|OMITEMPTY),
    ] },
    // 82
    Message { name: "io.k8s.api.batch.v1.JobStatus", fields: &[
        f(1, "conditions", Message(80), REPEATED|OMITEMPTY),
        f(2, "startTime", Time, POINTER|OMITEMPTY),
        f(3, "completionTime", Time, POINTER|OMITEMPTY),
        f(4, "active", Int32, OMITEMPTY),
        f(5, "succeeded", Int32, OMITEMPTY),
        f(6, "failed", Int32, OMITEMPTY),
        f(7, "completedIndexes", String, OMITEMPTY),
        f(8, "uncountedTerminatedPods", Message(90), POINTER|OMITEMPTY),
        f(9, "ready", Int32, POINTER|OMITEMPTY),
        f(10, "failedIndexes", String, POINTER|OMITEMPTY),
        f(11, "terminating", Int32, POINTER|OMITEMPTY),
    ] },
    // 83
    Message { name: "io.k8s.api.batch.v1.JobTemplateSpec", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(81), OMITEMPTY),
    ] },
    // 84
    Message { name: "io.k8s.api.batch.v1.PodFailurePolicy", fields: &[
        f(1, "rules", Message(87), REPEATED),
    ] },
    // 85
    Message { name: "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", fields: &[
        f(1, "containerName", String, POINTER|OMITEMPTY),
        f(2, "operator", String, 0),
        f(3, "values", Int32, REPEATED),
    ] },
    // 86
    Message { name: "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
    ] },
    // 87
    Message { name: "io.k8s.api.batch.v1.PodFailurePolicyRule", fields: &[
        f(1, "action", String, 0),
        f(2, "onExitCodes", Message(85), POINTER|OMITEMPTY),
        f(3, "onPodConditions", Message(86), REPEATED|OMITEMPTY),
    ] },
    // 88
    Message { name: "io.k8s.api.batch.v1.SuccessPolicy", fields: &[
        f(1, "rules", Message(89), REPEATED),
    ] },
    // 89
    Message { name: "io.k8s.api.batch.v1.SuccessPolicyRule", fields: &[
        f(1, "succeededIndexes", String, POINTER|OMITEMPTY),
        f(2, "succeededCount", Int32, POINTER|OMITEMPTY),
    ] },
    // 90
    Message { name: "io.k8s.api.batch.v1.UncountedTerminatedPods", fields: &[
        f(1, "succeeded", String, REPEATED|OMITEMPTY),
        f(2, "failed", String, REPEATED|OMITEMPTY),
    ] },
    // 91
    Message { name: "io.k8s.api.certificates.v1.CertificateSigningRequest", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(93), 0),
        f(3, "status", Message(94), OMITEMPTY),
    ] },
    // 92
    Message { name: "io.k8s.api.certificates.v1.CertificateSigningRequestCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "reason", String, OMITEMPTY),
        f(3, "message", String, OMITEMPTY),
        f(4, "lastUpdateTime", Time, OMITEMPTY),
        f(5, "lastTransitionTime", Time, OMITEMPTY),
        f(6, "status", String, 0),
    ] },
    // 93
    Message { name: "io.k8s.api.certificates.v1.CertificateSigningRequestSpec", fields: &[
        f(1, "request", Bytes, 0),
        f(2, "username", String, OMITEMPTY),
        f(3, "uid", String, OMITEMPTY),
        f(4, "groups", String, REPEATED|OMITEMPTY),
        f(5, "usages", String, REPEATED|OMITEMPTY),
        f(6, "extra", Map(&StringList), OMITEMPTY),
        f(7, "signerName", String, 0),
        f(8, "expirationSeconds", Int32, POINTER|OMITEMPTY),
    ] },
    // 94
    Message { name: "io.k8s.api.certificates.v1.CertificateSigningRequestStatus", fields: &[
        f(1, "conditions", Message(92), REPEATED|OMITEMPTY),
        f(2, "certificate", Bytes, OMITEMPTY),
    ] },
    // 95
    Message { name: "io.k8s.api.coordination.v1.Lease", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(96), OMITEMPTY),
    ] },
    // 96
    Message { name: "io.k8s.api.coordination.v1.LeaseSpec", fields: &[
        f(1, "holderIdentity", String, POINTER|OMITEMPTY),
        f(2, "leaseDurationSeconds", Int32, POINTER|OMITEMPTY),
        f(3, "acquireTime", MicroTime, POINTER|OMITEMPTY),
        f(4, "renewTime", MicroTime, POINTER|OMITEMPTY),
        f(5, "leaseTransitions", Int32, POINTER|OMITEMPTY),
        f(6, "strategy", String, POINTER|OMITEMPTY),
        f(7, "preferredHolder", String, POINTER|OMITEMPTY),
    ] },
    // 97
    Message { name: "io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource", fields: &[
        f(1, "volumeID", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "partition", Int32, OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
    ] },
    // 98
    Message { name: "io.k8s.api.core.v1.Affinity", fields: &[
        f(1, "nodeAffinity", Message(189), POINTER|OMITEMPTY),
        f(2, "podAffinity", Message(219), POINTER|OMITEMPTY),
        f(3, "podAntiAffinity", Message(221), POINTER|OMITEMPTY),
    ] },
    // 99
    Message { name: "io.k8s.api.core.v1.AppArmorProfile", fields: &[
        f(1, "type", String, 0),
        f(2, "localhostProfile", String, POINTER|OMITEMPTY),
    ] },
    // 100
    Message { name: "io.k8s.api.core.v1.AttachedVolume", fields: &[
        f(1, "name", String, 0),
        f(2, "devicePath", String, 0),
    ] },
    // 101
    Message { name: "io.k8s.api.core.v1.AzureDiskVolumeSource", fields: &[
        f(1, "diskName", String, 0),
        f(2, "diskURI", String, 0),
        f(3, "cachingMode", String, POINTER|OMITEMPTY),
        f(4, "fsType", String, POINTER|OMITEMPTY),
        f(5, "readOnly", Bool, POINTER|OMITEMPTY),
        f(6, "kind", String, POINTER|OMITEMPTY),
    ] },
    // 102
    Message { name: "io.k8s.api.core.v1.AzureFilePersistentVolumeSource", fields: &[
        f(1, "secretName", String, 0),
        f(2, "shareName", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "secretNamespace", String, POINTER),
    ] },
    // 103
    Message { name: "io.k8s.api.core.v1.AzureFileVolumeSource", fields: &[
        f(1, "secretName", String, 0),
        f(2, "shareName", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
    ] },
    // 104
    Message { name: "io.k8s.api.core.v1.Binding", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "target", Message(206), 0),
    ] },
    // 105
    Message { name: "io.k8s.api.core.v1.CSIPersistentVolumeSource", fields: &[
        f(1, "driver", String, 0),
        f(2, "volumeHandle", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "fsType", String, OMITEMPTY),
        f(5, "volumeAttributes", Map(&String), OMITEMPTY),
        f(6, "controllerPublishSecretRef", Message(273), POINTER|OMITEMPTY),
        f(7, "nodeStageSecretRef", Message(273), POINTER|OMITEMPTY),
        f(8, "nodePublishSecretRef", Message(273), POINTER|OMITEMPTY),
        f(9, "controllerExpandSecretRef", Message(273), POINTER|OMITEMPTY),
        f(10, "nodeExpandSecretRef", Message(273), POINTER|OMITEMPTY),
    ] },
    // 106
    Message { name: "io.k8s.api.core.v1.CSIVolumeSource", fields: &[
        f(1, "driver", String, 0),
        f(2, "readOnly", Bool, POINTER|OMITEMPTY),
        f(3, "fsType", String, POINTER|OMITEMPTY),
        f(4, "volumeAttributes", Map(&String), OMITEMPTY),
        f(5, "nodePublishSecretRef", Message(179), POINTER|OMITEMPTY),
    ] },
    // 107
    Message { name: "io.k8s.api.core.v1.Capabilities", fields: &[
        f(1, "add", String, REPEATED|OMITEMPTY),
        f(2, "drop", String, REPEATED|OMITEMPTY),
    ] },
    // 108
    Message { name: "io.k8s.api.core.v1.CephFSPersistentVolumeSource", fields: &[
        f(1, "monitors", String, REPEATED),
        f(2, "path", String, OMITEMPTY),
        f(3, "user", String, OMITEMPTY),
        f(4, "secretFile", String, OMITEMPTY),
        f(5, "secretRef", Message(273), POINTER|OMITEMPTY),
        f(6, "readOnly", Bool, OMITEMPTY),
    ] },
    // 109
    Message { name: "io.k8s.api.core.v1.CephFSVolumeSource", fields: &[
        f(1, "monitors", String, REPEATED),
        f(2, "path", String, OMITEMPTY),
        f(3, "user", String, OMITEMPTY),
        f(4, "secretFile", String, OMITEMPTY),
        f(5, "secretRef", Message(179), POINTER|OMITEMPTY),
        f(6, "readOnly", Bool, OMITEMPTY),
    ] },
    // 110
    Message { name: "io.k8s.api.core.v1.CinderPersistentVolumeSource", fields: &[
        f(1, "volumeID", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "secretRef", Message(273), POINTER|OMITEMPTY),
    ] },
    // 111
    Message { name: "io.k8s.api.core.v1.CinderVolumeSource", fields: &[
        f(1, "volumeID", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "secretRef", Message(179), POINTER|OMITEMPTY),
    ] },
    // 112
    Message { name: "io.k8s.api.core.v1.ClientIPConfig", fields: &[
        f(1, "timeoutSeconds", Int32, POINTER|OMITEMPTY),
    ] },
    // 113
    Message { name: "io.k8s.api.core.v1.ClusterTrustBundleProjection", fields: &[
        f(1, "name", String, POINTER|OMITEMPTY),
        f(2, "signerName", String, POINTER|OMITEMPTY),
        f(3, "labelSelector", Message(358), POINTER|OMITEMPTY),
        f(4, "path", String, 0),
        f(5, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 114
    Message { name: "io.k8s.api.core.v1.ConfigMap", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "data", Map(&String), OMITEMPTY),
        f(3, "binaryData", Map(&Bytes), OMITEMPTY),
        f(4, "immutable", Bool, POINTER|OMITEMPTY),
    ] },
    // 115
    Message { name: "io.k8s.api.core.v1.ConfigMapEnvSource", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 116
    Message { name: "io.k8s.api.core.v1.ConfigMapKeySelector", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "key", String, 0),
        f(3, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 117
    Message { name: "io.k8s.api.core.v1.ConfigMapNodeConfigSource", fields: &[
        f(1, "namespace", String, 0),
        f(2, "name", String, 0),
        f(3, "uid", String, OMITEMPTY),
        f(4, "resourceVersion", String, OMITEMPTY),
        f(5, "kubeletConfigKey", String, 0),
    ] },
    // 118
    Message { name: "io.k8s.api.core.v1.ConfigMapProjection", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "items", Message(170), REPEATED|OMITEMPTY),
        f(4, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 119
    Message { name: "io.k8s.api.core.v1.ConfigMapVolumeSource", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "items", Message(170), REPEATED|OMITEMPTY),
        f(3, "defaultMode", Int32, POINTER|OMITEMPTY),
        f(4, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 120
    Message { name: "io.k8s.api.core.v1.Container", fields: &[
        f(1, "name", String, 0),
        f(2, "image", String, OMITEMPTY),
        f(3, "command", String, REPEATED|OMITEMPTY),
        f(4, "args", String, REPEATED|OMITEMPTY),
        f(5, "workingDir", String, OMITEMPTY),
        f(6, "ports", Message(123), REPEATED|OMITEMPTY),
        f(7, "env", Message(143), REPEATED|OMITEMPTY),
        f(8, "resources", Message(261), OMITEMPTY),
        f(9, "volumeMounts", Message(298), REPEATED|OMITEMPTY),
        f(10, "livenessProbe", Message(245), POINTER|OMITEMPTY),
        f(11, "readinessProbe", Message(245), POINTER|OMITEMPTY),
        f(12, "lifecycle", Message(171), POINTER|OMITEMPTY),
        f(13, "terminationMessagePath", String, OMITEMPTY),
        f(14, "imagePullPolicy", String, OMITEMPTY),
        f(15, "securityContext", Message(275), POINTER|OMITEMPTY),
        f(16, "stdin", Bool, OMITEMPTY),
        f(17, "stdinOnce", Bool, OMITEMPTY),
        f(18, "tty", Bool, OMITEMPTY),
        f(19, "envFrom", Message(142), REPEATED|OMITEMPTY),
        f(20, "terminationMessagePolicy", String, OMITEMPTY),
        f(21, "volumeDevices", Message(297), REPEATED|OMITEMPTY),
        f(22, "startupProbe", Message(245), POINTER|OMITEMPTY),
        f(23, "resizePolicy", Message(124), REPEATED|OMITEMPTY),
        f(24, "restartPolicy", String, POINTER|OMITEMPTY),
        f(25, "restartPolicyRules", Message(125), REPEATED|OMITEMPTY),
    ] },
    // 121
    Message { name: "io.k8s.api.core.v1.ContainerExtendedResourceRequest", fields: &[
        f(1, "containerName", String, 0),
        f(2, "resourceName", String, 0),
        f(3, "requestName", String, 0),
    ] },
    // 122
    Message { name: "io.k8s.api.core.v1.ContainerImage", fields: &[
        f(1, "names", String, REPEATED),
        f(2, "sizeBytes", Int64, OMITEMPTY),
    ] },
    // 123
    Message { name: "io.k8s.api.core.v1.ContainerPort", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "hostPort", Int32, OMITEMPTY),
        f(3, "containerPort", Int32, 0),
        f(4, "protocol", String, OMITEMPTY),
        f(5, "hostIP", String, OMITEMPTY),
    ] },
    // 124
    Message { name: "io.k8s.api.core.v1.ContainerResizePolicy", fields: &[
        f(1, "resourceName", String, 0),
        f(2, "restartPolicy", String, 0),
    ] },
    // 125
    Message { name: "io.k8s.api.core.v1.ContainerRestartRule", fields: &[
        f(1, "action", String, OMITEMPTY),
        f(2, "exitCodes", Message(126), POINTER|OMITEMPTY),
    ] },
    // 126
    Message { name: "io.k8s.api.core.v1.ContainerRestartRuleOnExitCodes", fields: &[
        f(1, "operator", String, OMITEMPTY),
        f(2, "values", Int32, REPEATED|OMITEMPTY),
    ] },
    // 127
    Message { name: "io.k8s.api.core.v1.ContainerState", fields: &[
        f(1, "waiting", Message(130), POINTER|OMITEMPTY),
        f(2, "running", Message(128), POINTER|OMITEMPTY),
        f(3, "terminated", Message(129), POINTER|OMITEMPTY),
    ] },
    // 128
    Message { name: "io.k8s.api.core.v1.ContainerStateRunning", fields: &[
        f(1, "startedAt", Time, OMITEMPTY),
    ] },
    // 129
    Message { name: "io.k8s.api.core.v1.ContainerStateTerminated", fields: &[
        f(1, "exitCode", Int32, 0),
        f(2, "signal", Int32, OMITEMPTY),
        f(3, "reason", String, OMITEMPTY),
        f(4, "message", String, OMITEMPTY),
        f(5, "startedAt", Time, OMITEMPTY),
        f(6, "finishedAt", Time, OMITEMPTY),
        f(7, "containerID", String, OMITEMPTY),
    ] },
    // 130
    Message { name: "io.k8s.api.core.v1.ContainerStateWaiting", fields: &[
        f(1, "reason", String, OMITEMPTY),
        f(2, "message", String, OMITEMPTY),
    ] },
    // 131
    Message { name: "io.k8s.api.core.v1.ContainerStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "state", Message(127), OMITEMPTY),
        f(3, "lastState", Message(127), OMITEMPTY),
        f(4, "ready", Bool, 0),
        f(5, "restartCount", Int32, 0),
        f(6, "image", String, 0),
        f(7, "imageID", String, 0),
        f(8, "containerID", String, OMITEMPTY),
        f(9, "started", Bool, POINTER|OMITEMPTY),
        f(10, "allocatedResources", Map(&Quantity), OMITEMPTY),
        f(11, "resources", Message(261), POINTER|OMITEMPTY),
        f(12, "volumeMounts", Message(299), REPEATED|OMITEMPTY),
        f(13, "user", Message(132), POINTER|OMITEMPTY),
        f(14, "allocatedResourcesStatus", Message(262), REPEATED|OMITEMPTY),
        f(15, "stopSignal", String, POINTER|OMITEMPTY),
    ] },
    // 132
    Message { name: "io.k8s.api.core.v1.ContainerUser", fields: &[
        f(1, "linux", Message(176), POINTER|OMITEMPTY),
    ] },
    // 133
    Message { name: "io.k8s.api.core.v1.DaemonEndpoint", fields: &[
        f(1, "Port", Int32, 0),
    ] },
    // 134
    Message { name: "io.k8s.api.core.v1.DownwardAPIProjection", fields: &[
        f(1, "items", Message(135), REPEATED|OMITEMPTY),
    ] },
    // 135
    Message { name: "io.k8s.api.core.v1.DownwardAPIVolumeFile", fields: &[
        f(1, "path", String, 0),
        f(2, "fieldRef", Message(205), POINTER|OMITEMPTY),
        f(3, "resourceFieldRef", Message(256), POINTER|OMITEMPTY),
        f(4, "mode", Int32, POINTER|OMITEMPTY),
    ] },
    // 136
    Message { name: "io.k8s.api.core.v1.DownwardAPIVolumeSource", fields: &[
        f(1, "items", Message(135), REPEATED|OMITEMPTY),
        f(2, "defaultMode", Int32, POINTER|OMITEMPTY),
    ] },
    // 137
    Message { name: "io.k8s.api.core.v1.EmptyDirVolumeSource", fields: &[
        f(1, "medium", String, OMITEMPTY),
        f(2, "sizeLimit", Quantity, POINTER|OMITEMPTY),
    ] },
    // 138
    Message { name: "io.k8s.api.core.v1.EndpointAddress", fields: &[
        f(1, "ip", String, 0),
        f(2, "targetRef", Message(206), POINTER|OMITEMPTY),
        f(3, "hostname", String, OMITEMPTY),
        f(4, "nodeName", String, POINTER|OMITEMPTY),
    ] },
    // 139
    Message { name: "io.k8s.api.core.v1.EndpointPort", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "port", Int32, 0),
        f(3, "protocol", String, OMITEMPTY),
        f(4, "appProtocol", String, POINTER|OMITEMPTY),
    ] },
    // 140
    Message { name: "io.k8s.api.core.v1.EndpointSubset", fields: &[
        f(1, "addresses", Message(138), REPEATED|OMITEMPTY),
        f(2, "notReadyAddresses", Message(138), REPEATED|OMITEMPTY),
        f(3, "ports", Message(139), REPEATED|OMITEMPTY),
    ] },
    // 141
    Message { name: "io.k8s.api.core.v1.Endpoints", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "subsets", Message(140), REPEATED|OMITEMPTY),
    ] },
    // 142
    Message { name: "io.k8s.api.core.v1.EnvFromSource", fields: &[
        f(1, "prefix", String, OMITEMPTY),
        f(2, "configMapRef", Message(115), POINTER|OMITEMPTY),
        f(3, "secretRef", Message(270), POINTER|OMITEMPTY),
    ] },
    // 143
    Message { name: "io.k8s.api.core.v1.EnvVar", fields: &[
        f(1, "name", String, 0),
        f(2, "value", String, OMITEMPTY),
        f(3, "valueFrom", Message(144), POINTER|OMITEMPTY),
    ] },
    // 144
    Message { name: "io.k8s.api.core.v1.EnvVarSource", fields: &[
        f(1, "fieldRef", Message(205), POINTER|OMITEMPTY),
        f(2, "resourceFieldRef", Message(256), POINTER|OMITEMPTY),
        f(3, "configMapKeyRef", Message(116), POINTER|OMITEMPTY),
        f(4, "secretKeyRef", Message(271), POINTER|OMITEMPTY),
        f(5, "fileKeyRef", Message(153), POINTER|OMITEMPTY),
    ] },
    // 145
    Message { name: "io.k8s.api.core.v1.EphemeralContainer", fields: &[
        f(1, "", Message(146), INLINE),
        f(2, "targetContainerName", String, OMITEMPTY),
    ] },
    // 146
    Message { name: "io.k8s.api.core.v1.EphemeralContainerCommon", fields: &[
        f(1, "name", String, 0),
        f(2, "image", String, OMITEMPTY),
        f(3, "command", String, REPEATED|OMITEMPTY),
        f(4, "args", String, REPEATED|OMITEMPTY),
        f(5, "workingDir", String, OMITEMPTY),
        f(6, "ports", Message(123), REPEATED|OMITEMPTY),
        f(7, "env", Message(143), REPEATED|OMITEMPTY),
        f(8, "resources", Message(261), OMITEMPTY),
        f(9, "volumeMounts", Message(298), REPEATED|OMITEMPTY),
        f(10, "livenessProbe", Message(245), POINTER|OMITEMPTY),
        f(11, "readinessProbe", Message(245), POINTER|OMITEMPTY),
        f(12, "lifecycle", Message(171), POINTER|OMITEMPTY),
        f(13, "terminationMessagePath", String, OMITEMPTY),
        f(14, "imagePullPolicy", String, OMITEMPTY),
        f(15, "securityContext", Message(275), POINTER|OMITEMPTY),
        f(16, "stdin", Bool, OMITEMPTY),
        f(17, "stdinOnce", Bool, OMITEMPTY),
        f(18, "tty", Bool, OMITEMPTY),
        f(19, "envFrom", Message(142), REPEATED|OMITEMPTY),
        f(20, "terminationMessagePolicy", String, OMITEMPTY),
        f(21, "volumeDevices", Message(297), REPEATED|OMITEMPTY),
        f(22, "startupProbe", Message(245), POINTER|OMITEMPTY),
        f(23, "resizePolicy", Message(124), REPEATED|OMITEMPTY),
        f(24, "restartPolicy", String, POINTER|OMITEMPTY),
        f(25, "restartPolicyRules", Message(125), REPEATED|OMITEMPTY),
    ] },
    // 147
    Message { name: "io.k8s.api.core.v1.EphemeralVolumeSource", fields: &[
        f(1, "volumeClaimTemplate", Message(212), POINTER|OMITEMPTY),
    ] },
    // 148
    Message { name: "io.k8s.api.core.v1.Event", fields: &[
        f(1, "metadata", Message(362), 0),
        f(2, "involvedObject", Message(206), 0),
        f(3, "reason", String, OMITEMPTY),
        f(4, "message", String, OMITEMPTY),
        f(5, "source", Message(150), OMITEMPTY),
        f(6, "firstTimestamp", Time, OMITEMPTY),
        f(7, "lastTimestamp", Time, OMITEMPTY),
        f(8, "count", Int32, OMITEMPTY),
        f(9, "type", String, OMITEMPTY),
        f(10, "eventTime", MicroTime, OMITEMPTY),
        f(11, "series", Message(149), POINTER|OMITEMPTY),
        f(12, "action", String, OMITEMPTY),
        f(13, "related", Message(206), POINTER|OMITEMPTY),
        f(14, "reportingComponent", String, 0),
        f(15, "reportingInstance", String, 0),
    ] },
    // 149
    Message { name: "io.k8s.api.core.v1.EventSeries", fields: &[
        f(1, "count", Int32, OMITEMPTY),
        f(2, "lastObservedTime", MicroTime, OMITEMPTY),
    ] },
    // 150
    Message { name: "io.k8s.api.core.v1.EventSource", fields: &[
        f(1, "component", String, OMITEMPTY),
        f(2, "host", String, OMITEMPTY),
    ] },
    // 151
    Message { name: "io.k8s.api.core.v1.ExecAction", fields: &[
        f(1, "command", String, REPEATED|OMITEMPTY),
    ] },
    // 152
    Message { name: "io.k8s.api.core.v1.FCVolumeSource", fields: &[
        f(1, "targetWWNs", String, REPEATED|OMITEMPTY),
        f(2, "lun", Int32, POINTER|OMITEMPTY),
        f(3, "fsType", String, OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
        f(5, "wwids", String, REPEATED|OMITEMPTY),
    ] },
    // 153
    Message { name: "io.k8s.api.core.v1.FileKeySelector", fields: &[
        f(1, "volumeName", String, 0),
        f(2, "path", String, 0),
        f(3, "key", String, 0),
        f(4, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 154
    Message { name: "io.k8s.api.core.v1.FlexPersistentVolumeSource", fields: &[
        f(1, "driver", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "secretRef", Message(273), POINTER|OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
        f(5, "options", Map(&String), OMITEMPTY),
    ] },
    // 155
    Message { name: "io.k8s.api.core.v1.FlexVolumeSource", fields: &[
        f(1, "driver", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "secretRef", Message(179), POINTER|OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
        f(5, "options", Map(&String), OMITEMPTY),
    ] },
    // 156
    Message { name: "io.k8s.api.core.v1.FlockerVolumeSource", fields: &[
        f(1, "datasetName", String, OMITEMPTY),
        f(2, "datasetUUID", String, OMITEMPTY),
    ] },
    // 157
    Message { name: "io.k8s.api.core.v1.GCEPersistentDiskVolumeSource", fields: &[
        f(1, "pdName", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "partition", Int32, OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
    ] },
    // 158
    Message { name: "io.k8s.api.core.v1.GRPCAction", fields: &[
        f(1, "port", Int32, 0),
        f(2, "service", String, POINTER),
    ] },
    // 159
    Message { name: "io.k8s.api.core.v1.GitRepoVolumeSource", fields: &[
        f(1, "repository", String, 0),
        f(2, "revision", String, OMITEMPTY),
        f(3, "directory", String, OMITEMPTY),
    ] },
    // 160
    Message { name: "io.k8s.api.core.v1.GlusterfsPersistentVolumeSource", fields: &[
        f(1, "endpoints", String, 0),
        f(2, "path", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "endpointsNamespace", String, POINTER|OMITEMPTY),
    ] },
    // 161
    Message { name: "io.k8s.api.core.v1.GlusterfsVolumeSource", fields: &[
        f(1, "endpoints", String, 0),
        f(2, "path", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
    ] },
    // 162
    Message { name: "io.k8s.api.core.v1.HTTPGetAction", fields: &[
        f(1, "path", String, OMITEMPTY),
        f(2, "port", IntOrString, 0),
        f(3, "host", String, OMITEMPTY),
        f(4, "scheme", String, OMITEMPTY),
        f(5, "httpHeaders", Message(163), REPEATED|OMITEMPTY),
    ] },
    // 163
    Message { name: "io.k8s.api.core.v1.HTTPHeader", fields: &[
        f(1, "name", String, 0),
        f(2, "value", String, 0),
    ] },
    // 164
    Message { name: "io.k8s.api.core.v1.HostAlias", fields: &[
        f(1, "ip", String, 0),
        f(2, "hostnames", String, REPEATED|OMITEMPTY),
    ] },
    // 165
    Message { name: "io.k8s.api.core.v1.HostIP", fields: &[
        f(1, "ip", String, 0),
    ] },
    // 166
    Message { name: "io.k8s.api.core.v1.HostPathVolumeSource", fields: &[
        f(1, "path", String, 0),
        f(2, "type", String, POINTER|OMITEMPTY),
    ] },
    // 167
    Message { name: "io.k8s.api.core.v1.ISCSIPersistentVolumeSource", fields: &[
        f(1, "targetPortal", String, 0),
        f(2, "iqn", String, 0),
        f(3, "lun", Int32, 0),
        f(4, "iscsiInterface", String, OMITEMPTY),
        f(5, "fsType", String, OMITEMPTY),
        f(6, "readOnly", Bool, OMITEMPTY),
        f(7, "portals", String, REPEATED|OMITEMPTY),
        f(8, "chapAuthDiscovery", Bool, OMITEMPTY),
        f(10, "secretRef", Message(273), POINTER|OMITEMPTY),
        f(11, "chapAuthSession", Bool, OMITEMPTY),
        f(12, "initiatorName", String, POINTER|OMITEMPTY),
    ] },
    // 168
    Message { name: "io.k8s.api.core.v1.ISCSIVolumeSource", fields: &[
        f(1, "targetPortal", String, 0),
        f(2, "iqn", String, 0),
        f(3, "lun", Int32, 0),
        f(4, "iscsiInterface", String, OMITEMPTY),
        f(5, "fsType", String, OMITEMPTY),
        f(6, "readOnly", Bool, OMITEMPTY),
        f(7, "portals", String, REPEATED|OMITEMPTY),
        f(8, "chapAuthDiscovery", Bool, OMITEMPTY),
        f(10, "secretRef", Message(179), POINTER|OMITEMPTY),
        f(11, "chapAuthSession", Bool, OMITEMPTY),
        f(12, "initiatorName", String, POINTER|OMITEMPTY),
    ] },
    // 169
    Message { name: "io.k8s.api.core.v1.ImageVolumeSource", fields: &[
        f(1, "reference", String, OMITEMPTY),
        f(2, "pullPolicy", String, OMITEMPTY),
    ] },
    // 170
    Message { name: "io.k8s.api.core.v1.KeyToPath", fields: &[
        f(1, "key", String, 0),
        f(2, "path", String, 0),
        f(3, "mode", Int32, POINTER|OMITEMPTY),
    ] },
    // 171
    Message { name: "io.k8s.api.core.v1.Lifecycle", fields: &[
        f(1, "postStart", Message(172), POINTER|OMITEMPTY),
        f(2, "preStop", Message(172), POINTER|OMITEMPTY),
        f(3, "stopSignal", String, POINTER|OMITEMPTY),
    ] },
    // 172
    Message { name: "io.k8s.api.core.v1.LifecycleHandler", fields: &[
        f(1, "exec", Message(151), POINTER|OMITEMPTY),
        f(2, "httpGet", Message(162), POINTER|OMITEMPTY),
        f(3, "tcpSocket", Message(288), POINTER|OMITEMPTY),
        f(4, "sleep", Message(284), POINTER|OMITEMPTY),
    ] },
    // 173
    Message { name: "io.k8s.api.core.v1.LimitRange", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(175), OMITEMPTY),
    ] },
    // 174
    Message { name: "io.k8s.api.core.v1.LimitRangeItem", fields: &[
        f(1, "type", String, 0),
        f(2, "max", Map(&Quantity), OMITEMPTY),
        f(3, "min", Map(&Quantity), OMITEMPTY),
        f(4, "default", Map(&Quantity), OMITEMPTY),
        f(5, "defaultRequest", Map(&Quantity), OMITEMPTY),
        f(6, "maxLimitRequestRatio", Map(&Quantity), OMITEMPTY),
    ] },
    // 175
    Message { name: "io.k8s.api.core.v1.LimitRangeSpec", fields: &[
        f(1, "limits", Message(174), REPEATED),
    ] },
    // 176
    Message { name: "io.k8s.api.core.v1.LinuxContainerUser", fields: &[
        f(1, "uid", Int64, 0),
        f(2, "gid", Int64, 0),
        f(3, "supplementalGroups", Int64, REPEATED|OMITEMPTY),
    ] },
    // 177
    Message { name: "io.k8s.api.core.v1.LoadBalancerIngress", fields: &[
        f(1, "ip", String, OMITEMPTY),
        f(2, "hostname", String, OMITEMPTY),
        f(3, "ipMode", String, POINTER|OMITEMPTY),
        f(4, "ports", Message(242), REPEATED|OMITEMPTY),
    ] },
    // 178
    Message { name: "io.k8s.api.core.v1.LoadBalancerStatus", fields: &[
        f(1, "ingress", Message(177), REPEATED|OMITEMPTY),
    ] },
    // 179
    Message { name: "io.k8s.api.core.v1.LocalObjectReference", fields: &[
        f(1, "name", String, OMITEMPTY),
    ] },
    // 180
    Message { name: "io.k8s.api.core.v1.LocalVolumeSource", fields: &[
        f(1, "path", String, 0),
        f(2, "fsType", String, POINTER|OMITEMPTY),
    ] },
    // 181
    Message { name: "io.k8s.api.core.v1.ModifyVolumeStatus", fields: &[
        f(1, "targetVolumeAttributesClassName", String, OMITEMPTY),
        f(2, "status", String, 0),
    ] },
    // 182
    Message { name: "io.k8s.api.core.v1.NFSVolumeSource", fields: &[
        f(1, "server", String, 0),
        f(2, "path", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
    ] },
    // 183
    Message { name: "io.k8s.api.core.v1.Namespace", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(185), OMITEMPTY),
        f(3, "status", Message(186), OMITEMPTY),
    ] },
    // 184
    Message { name: "io.k8s.api.core.v1.NamespaceCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(4, "lastTransitionTime", Time, OMITEMPTY),
        f(5, "reason", String, OMITEMPTY),
        f(6, "message", String, OMITEMPTY),
    ] },
    // 185
    Message { name: "io.k8s.api.core.v1.NamespaceSpec", fields: &[
        f(1, "finalizers", String, REPEATED|OMITEMPTY),
    ] },
    // 186
    Message { name: "io.k8s.api.core.v1.NamespaceStatus", fields: &[
        f(1, "phase", String, OMITEMPTY),
        f(2, "conditions", Message(184), REPEATED|OMITEMPTY),
    ] },
    // 187
    Message { name: "io.k8s.api.core.v1.Node", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(201), OMITEMPTY),
        f(3, "status", Message(202), OMITEMPTY),
    ] },
    // 188
    Message { name: "io.k8s.api.core.v1.NodeAddress", fields: &[
        f(1, "type", String, 0),
        f(2, "address", String, 0),
    ] },
    // 189
    Message { name: "io.k8s.api.core.v1.NodeAffinity", fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(198), POINTER|OMITEMPTY),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(244), REPEATED|OMITEMPTY),
    ] },
    // 190
    Message { name: "io.k8s.api.core.v1.NodeCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastHeartbeatTime", Time, OMITEMPTY),
        f(4, "lastTransitionTime", Time, OMITEMPTY),
        f(5, "reason", String, OMITEMPTY),
        f(6, "message", String, OMITEMPTY),
    ] },
    // 191
    Message { name: "io.k8s.api.core.v1.NodeConfigSource", fields: &[
        f(2, "configMap", Message(117), POINTER|OMITEMPTY),
    ] },
    // 192
    Message { name: "io.k8s.api.core.v1.NodeConfigStatus", fields: &[
        f(1, "assigned", Message(191), POINTER|OMITEMPTY),
        f(2, "active", Message(191), POINTER|OMITEMPTY),
        f(3, "lastKnownGood", Message(191), POINTER|OMITEMPTY),
        f(4, "error", String, OMITEMPTY),
    ] },
    // 193
    Message { name: "io.k8s.api.core.v1.NodeDaemonEndpoints", fields: &[
        f(1, "kubeletEndpoint", Message(133), OMITEMPTY),
    ] },
    // 194
    Message { name: "io.k8s.api.core.v1.NodeFeatures", fields: &[
        f(1, "supplementalGroupsPolicy", Bool, POINTER|OMITEMPTY),
    ] },
    // 195
    Message { name: "io.k8s.api.core.v1.NodeProxyOptions", fields: &[
        f(1, "path", String, OMITEMPTY),
    ] },
    // 196
    Message { name: "io.k8s.api.core.v1.NodeRuntimeHandler", fields: &[
        f(1, "name", String, 0),
        f(2, "features", Message(197), POINTER|OMITEMPTY),
    ] },
    // 197
    Message { name: "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures", fields: &[
        f(1, "recursiveReadOnlyMounts", Bool, POINTER|OMITEMPTY),
        f(2, "userNamespaces", Bool, POINTER|OMITEMPTY),
    ] },
    // 198
    Message { name: "io.k8s.api.core.v1.NodeSelector", fields: &[
        f(1, "nodeSelectorTerms", Message(200), REPEATED),
    ] },
    // 199
    Message { name: "io.k8s.api.core.v1.NodeSelectorRequirement", fields: &[
        f(1, "key", String, 0),
        f(2, "operator", String, 0),
        f(3, "values", String, REPEATED|OMITEMPTY),
    ] },
    // 200
    Message { name: "io.k8s.api.core.v1.NodeSelectorTerm", fields: &[
        f(1, "matchExpressions", Message(199), REPEATED|OMITEMPTY),
        f(2, "matchFields", Message(199), REPEATED|OMITEMPTY),
    ] },
    // 201
    Message { name: "io.k8s.api.core.v1.NodeSpec", fields: &[
        f(1, "podCIDR", String, OMITEMPTY),
        f(2, "externalID", String, OMITEMPTY),
        f(3, "providerID", String, OMITEMPTY),
        f(4, "unschedulable", Bool, OMITEMPTY),
        f(5, "taints", Message(289), REPEATED|OMITEMPTY),
        f(6, "configSource", Message(191), POINTER|OMITEMPTY),
        f(7, "podCIDRs", String, REPEATED|OMITEMPTY),
    ] },
    // 202
    Message { name: "io.k8s.api.core.v1.NodeStatus", fields: &[
        f(1, "capacity", Map(&Quantity), OMITEMPTY),
        f(2, "allocatable", Map(&Quantity), OMITEMPTY),
        f(3, "phase", String, OMITEMPTY),
        f(4, "conditions", Message(190), REPEATED|OMITEMPTY),
        f(5, "addresses", Message(188), REPEATED|OMITEMPTY),
        f(6, "daemonEndpoints", Message(193), OMITEMPTY),
        f(7, "nodeInfo", Message(204), OMITEMPTY),
        f(8, "images", Message(122), REPEATED|OMITEMPTY),
        f(9, "volumesInUse", String, REPEATED|OMITEMPTY),
        f(10, "volumesAttached", Message(100), REPEATED|OMITEMPTY),
        f(11, "config", Message(192), POINTER|OMITEMPTY),
        f(12, "runtimeHandlers", Message(196), REPEATED|OMITEMPTY),
        f(13, "features", Message(194), POINTER|OMITEMPTY),
        f(14, "declaredFeatures", String, REPEATED|OMITEMPTY),
    ] },
    // 203
    Message { name: "io.k8s.api.core.v1.NodeSwapStatus", fields: &[
        f(1, "capacity", Int64, POINTER|OMITEMPTY),
    ] },
    // 204
    Message { name: "io.k8s.api.core.v1.NodeSystemInfo", fields: &[
        f(1, "machineID", String, 0),
        f(2, "systemUUID", String, 0),
        f(3, "bootID", String, 0),
        f(4, "kernelVersion", String, 0),
        f(5, "osImage", String, 0),
        f(6, "containerRuntimeVersion", String, 0),
        f(7, "kubeletVersion", String, 0),
        f(8, "kubeProxyVersion", String, 0),
        f(9, "operatingSystem", String, 0),
        f(10, "architecture", String, 0),
        f(11, "swap", Message(203), POINTER|OMITEMPTY),
    ] },
    // 205
    Message { name: "io.k8s.api.core.v1.ObjectFieldSelector", fields: &[
        f(1, "apiVersion", String, OMITEMPTY),
        f(2, "fieldPath", String, 0),
    ] },
    // 206
    Message { name: "io.k8s.api.core.v1.ObjectReference", fields: &[
        f(1, "kind", String, OMITEMPTY),
        f(2, "namespace", String, OMITEMPTY),
        f(3, "name", String, OMITEMPTY),
        f(4, "uid", String, OMITEMPTY),
        f(5, "apiVersion", String, OMITEMPTY),
        f(6, "resourceVersion", String, OMITEMPTY),
        f(7, "fieldPath", String, OMITEMPTY),
    ] },
    // 207
    Message { name: "io.k8s.api.core.v1.PersistentVolume", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(215), OMITEMPTY),
        f(3, "status", Message(216), OMITEMPTY),
    ] },
    // 208
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaim", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(210), OMITEMPTY),
        f(3, "status", Message(211), OMITEMPTY),
    ] },
    // 209
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaimCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastProbeTime", Time, OMITEMPTY),
        f(4, "lastTransitionTime", Time, OMITEMPTY),
        f(5, "reason", String, OMITEMPTY),
        f(6, "message", String, OMITEMPTY),
    ] },
    // 210
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaimSpec", fields: &[
        f(1, "accessModes", String, REPEATED|OMITEMPTY),
        f(2, "resources", Message(302), OMITEMPTY),
        f(3, "volumeName", String, OMITEMPTY),
        f(4, "selector", Message(358), POINTER|OMITEMPTY),
        f(5, "storageClassName", String, POINTER|OMITEMPTY),
        f(6, "volumeMode", String, POINTER|OMITEMPTY),
        f(7, "dataSource", Message(294), POINTER|OMITEMPTY),
        f(8, "dataSourceRef", Message(295), POINTER|OMITEMPTY),
        f(9, "volumeAttributesClassName", String, POINTER|OMITEMPTY),
    ] },
    // 211
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaimStatus", fields: &[
        f(1, "phase", String, OMITEMPTY),
        f(2, "accessModes", String, REPEATED|OMITEMPTY),
        f(3, "capacity", Map(&Quantity), OMITEMPTY),
        f(4, "conditions", Message(209), REPEATED|OMITEMPTY),
        f(5, "allocatedResources", Map(&Quantity), OMITEMPTY),
        f(7, "allocatedResourceStatuses", Map(&String), OMITEMPTY),
        f(8, "currentVolumeAttributesClassName", String, POINTER|OMITEMPTY),
        f(9, "modifyVolumeStatus", Message(181), POINTER|OMITEMPTY),
    ] },
    // 212
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaimTemplate", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(210), 0),
    ] },
    // 213
    Message { name: "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource", fields: &[
        f(1, "claimName", String, 0),
        f(2, "readOnly", Bool, OMITEMPTY),
    ] },
    // 214
    Message { name: "io.k8s.api.core.v1.PersistentVolumeSource", fields: &[
        f(1, "gcePersistentDisk", Message(157), POINTER|OMITEMPTY),
        f(2, "awsElasticBlockStore", Message(97), POINTER|OMITEMPTY),
        f(3, "hostPath", Message(166), POINTER|OMITEMPTY),
        f(4, "glusterfs", Message(160), POINTER|OMITEMPTY),
        f(5, "nfs", Message(182), POINTER|OMITEMPTY),
        f(6, "rbd", Message(249), POINTER|OMITEMPTY),
        f(7, "iscsi", Message(167), POINTER|OMITEMPTY),
        f(8, "cinder", Message(110), POINTER|OMITEMPTY),
        f(9, "cephfs", Message(108), POINTER|OMITEMPTY),
        f(10, "fc", Message(152), POINTER|OMITEMPTY),
        f(11, "flocker", Message(156), POINTER|OMITEMPTY),
        f(12, "flexVolume", Message(154), POINTER|OMITEMPTY),
        f(13, "azureFile", Message(102), POINTER|OMITEMPTY),
        f(14, "vsphereVolume", Message(304), POINTER|OMITEMPTY),
        f(15, "quobyte", Message(248), POINTER|OMITEMPTY),
        f(16, "azureDisk", Message(101), POINTER|OMITEMPTY),
        f(17, "photonPersistentDisk", Message(217), POINTER|OMITEMPTY),
        f(18, "portworxVolume", Message(243), POINTER|OMITEMPTY),
        f(19, "scaleIO", Message(264), POINTER|OMITEMPTY),
        f(20, "local", Message(180), POINTER|OMITEMPTY),
        f(21, "storageos", Message(285), POINTER|OMITEMPTY),
        f(22, "csi", Message(105), POINTER|OMITEMPTY),
    ] },
    // 215
    Message { name: "io.k8s.api.core.v1.PersistentVolumeSpec", fields: &[
        f(1, "capacity", Map(&Quantity), OMITEMPTY),
        f(2, "", Message(214), INLINE),
        f(3, "accessModes", String, REPEATED|OMITEMPTY),
        f(4, "claimRef", Message(206), POINTER|OMITEMPTY),
        f(5, "persistentVolumeReclaimPolicy", String, OMITEMPTY),
        f(6, "storageClassName", String, OMITEMPTY),
        f(7, "mountOptions", String, REPEATED|OMITEMPTY),
        f(8, "volumeMode", String, POINTER|OMITEMPTY),
        f(9, "nodeAffinity", Message(300), POINTER|OMITEMPTY),
        f(10, "volumeAttributesClassName", String, POINTER|OMITEMPTY),
    ] },
    // 216
    Message { name: "io.k8s.api.core.v1.PersistentVolumeStatus", fields: &[
        f(1, "phase", String, OMITEMPTY),
        f(2, "message", String, OMITEMPTY),
        f(3, "reason", String, OMITEMPTY),
        f(4, "lastPhaseTransitionTime", Time, POINTER|OMITEMPTY),
    ] },
    // 217
    Message { name: "io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource", fields: &[
        f(1, "pdID", String, 0),
        f(2, "fsType", String, OMITEMPTY),
    ] },
    // 218
    Message { name: "io.k8s.api.core.v1.Pod", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(238), OMITEMPTY),
        f(3, "status", Message(239), OMITEMPTY),
    ] },
    // 219
    Message { name: "io.k8s.api.core.v1.PodAffinity", fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(220), REPEATED|OMITEMPTY),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(305), REPEATED|OMITEMPTY),
    ] },
    // 220
    Message { name: "io.k8s.api.core.v1.PodAffinityTerm", fields: &[
        f(1, "labelSelector", Message(358), POINTER|OMITEMPTY),
        f(2, "namespaces", String, REPEATED|OMITEMPTY),
        f(3, "topologyKey", String, 0),
        f(4, "namespaceSelector", Message(358), POINTER|OMITEMPTY),
        f(5, "matchLabelKeys", String, REPEATED|OMITEMPTY),
        f(6, "mismatchLabelKeys", String, REPEATED|OMITEMPTY),
    ] },
    // 221
    Message { name: "io.k8s.api.core.v1.PodAntiAffinity", fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(220), REPEATED|OMITEMPTY),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(305), REPEATED|OMITEMPTY),
    ] },
    // 222
    Message { name: "io.k8s.api.core.v1.PodAttachOptions", fields: &[
        f(1, "stdin", Bool, OMITEMPTY),
        f(2, "stdout", Bool, OMITEMPTY),
        f(3, "stderr", Bool, OMITEMPTY),
        f(4, "tty", Bool, OMITEMPTY),
        f(5, "container", String, OMITEMPTY),
    ] },
    // 223
    Message { name: "io.k8s.api.core.v1.PodCertificateProjection", fields: &[
        f(1, "signerName", String, OMITEMPTY),
        f(2, "keyType", String, OMITEMPTY),
        f(3, "maxExpirationSeconds", Int32, POINTER|OMITEMPTY),
        f(4, "credentialBundlePath", String, OMITEMPTY),
        f(5, "keyPath", String, OMITEMPTY),
        f(6, "certificateChainPath", String, OMITEMPTY),
        f(7, "userAnnotations", Map(&String), OMITEMPTY),
    ] },
    // 224
    Message { name: "io.k8s.api.core.v1.PodCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastProbeTime", Time, OMITEMPTY),
        f(4, "lastTransitionTime", Time, OMITEMPTY),
        f(5, "reason", String, OMITEMPTY),
        f(6, "message", String, OMITEMPTY),
        f(7, "observedGeneration", Int64, OMITEMPTY),
    ] },
    // 225
    Message { name: "io.k8s.api.core.v1.PodDNSConfig", fields: &[
        f(1, "nameservers", String, REPEATED|OMITEMPTY),
        f(2, "searches", String, REPEATED|OMITEMPTY),
        f(3, "options", Message(226), REPEATED|OMITEMPTY),
    ] },
    // 226
    Message { name: "io.k8s.api.core.v1.PodDNSConfigOption", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "value", String, POINTER|OMITEMPTY),
    ] },
    // 227
    Message { name: "io.k8s.api.core.v1.PodExecOptions", fields: &[
        f(1, "stdin", Bool, OMITEMPTY),
        f(2, "stdout", Bool, OMITEMPTY),
        f(3, "stderr", Bool, OMITEMPTY),
        f(4, "tty", Bool, OMITEMPTY),
        f(5, "container", String, OMITEMPTY),
        f(6, "command", String, REPEATED),
    ] },
    // 228
    Message { name: "io.k8s.api.core.v1.PodExtendedResourceClaimStatus", fields: &[
        f(1, "requestMappings", Message(121), REPEATED),
        f(2, "resourceClaimName", String, 0),
    ] },
    // 229
    Message { name: "io.k8s.api.core.v1.PodIP", fields: &[
        f(1, "ip", String, 0),
    ] },
    // 230
    Message { name: "io.k8s.api.core.v1.PodOS", fields: &[
        f(1, "name", String, 0),
    ] },
    // 231
    Message { name: "io.k8s.api.core.v1.PodPortForwardOptions", fields: &[
        f(1, "ports", Int32, REPEATED|OMITEMPTY),
    ] },
    // 232
    Message { name: "io.k8s.api.core.v1.PodProxyOptions", fields: &[
        f(1, "path", String, OMITEMPTY),
    ] },
    // 233
    Message { name: "io.k8s.api.core.v1.PodReadinessGate", fields: &[
        f(1, "conditionType", String, 0),
    ] },
    // 234
    Message { name: "io.k8s.api.core.v1.PodResourceClaim", fields: &[
        f(1, "name", String, 0),
        f(3, "resourceClaimName", String, POINTER|OMITEMPTY),
        f(4, "resourceClaimTemplateName", String, POINTER|OMITEMPTY),
    ] },
    // 235
    Message { name: "io.k8s.api.core.v1.PodResourceClaimStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "resourceClaimName", String, POINTER|OMITEMPTY),
    ] },
    // 236
    Message { name: "io.k8s.api.core.v1.PodSchedulingGate", fields: &[
        f(1, "name", String, 0),
    ] },
    // 237
    Message { name: "io.k8s.api.core.v1.PodSecurityContext", fields: &[
        f(1, "seLinuxOptions", Message(263), POINTER|OMITEMPTY),
        f(2, "runAsUser", Int64, POINTER|OMITEMPTY),
        f(3, "runAsNonRoot", Bool, POINTER|OMITEMPTY),
        f(4, "supplementalGroups", Int64, REPEATED|OMITEMPTY),
        f(5, "fsGroup", Int64, POINTER|OMITEMPTY),
        f(6, "runAsGroup", Int64, POINTER|OMITEMPTY),
        f(7, "sysctls", Message(287), REPEATED|OMITEMPTY),
        f(8, "windowsOptions", Message(306), POINTER|OMITEMPTY),
        f(9, "fsGroupChangePolicy", String, POINTER|OMITEMPTY),
        f(10, "seccompProfile", Message(268), POINTER|OMITEMPTY),
        f(11, "appArmorProfile", Message(99), POINTER|OMITEMPTY),
        f(12, "supplementalGroupsPolicy", String, POINTER|OMITEMPTY),
        f(13, "seLinuxChangePolicy", String, POINTER|OMITEMPTY),
    ] },
    // 238
    Message { name: "io.k8s.api.core.v1.PodSpec", fields: &[
        f(1, "volumes", Message(296), REPEATED|OMITEMPTY),
        f(2, "containers", Message(120), REPEATED),
        f(3, "restartPolicy", String, OMITEMPTY),
        f(4, "terminationGracePeriodSeconds", Int64, POINTER|OMITEMPTY),
        f(5, "activeDeadlineSeconds", Int64, POINTER|OMITEMPTY),
        f(6, "dnsPolicy", String, OMITEMPTY),
        f(7, "nodeSelector", Map(&String), OMITEMPTY),
        f(8, "serviceAccountName", String, OMITEMPTY),
        f(9, "serviceAccount", String, OMITEMPTY),
        f(10, "nodeName", String, OMITEMPTY),
        f(11, "hostNetwork", Bool, OMITEMPTY),
        f(12, "hostPID", Bool, OMITEMPTY),
        f(13, "hostIPC", Bool, OMITEMPTY),
        f(14, "securityContext", Message(237), POINTER|OMITEMPTY),
        f(15, "imagePullSecrets", Message(179), REPEATED|OMITEMPTY),
        f(16, "hostname", String, OMITEMPTY),
        f(17, "subdomain", String, OMITEMPTY),
        f(18, "affinity", Message(98), POINTER|OMITEMPTY),
        f(19, "schedulerName", String, OMITEMPTY),
        f(20, "initContainers", Message(120), REPEATED|OMITEMPTY),
        f(21, "automountServiceAccountToken", Bool, POINTER|OMITEMPTY),
        f(22, "tolerations", Message(290), REPEATED|OMITEMPTY),
        f(23, "hostAliases", Message(164), REPEATED|OMITEMPTY),
        f(24, "priorityClassName", String, OMITEMPTY),
        f(25, "priority", Int32, POINTER|OMITEMPTY),
        f(26, "dnsConfig", Message(225), POINTER|OMITEMPTY),
        f(27, "shareProcessNamespace", Bool, POINTER|OMITEMPTY),
        f(28, "readinessGates", Message(233), REPEATED|OMITEMPTY),
        f(29, "runtimeClassName", String, POINTER|OMITEMPTY),
        f(30, "enableServiceLinks", Bool, POINTER|OMITEMPTY),
        f(31, "preemptionPolicy", String, POINTER|OMITEMPTY),
        f(32, "overhead", Map(&Quantity), OMITEMPTY),
        f(33, "topologySpreadConstraints", Message(293), REPEATED|OMITEMPTY),
        f(34, "ephemeralContainers", Message(145), REPEATED|OMITEMPTY),
        f(35, "setHostnameAsFQDN", Bool, POINTER|OMITEMPTY),
        f(36, "os", Message(230), POINTER|OMITEMPTY),
        f(37, "hostUsers", Bool, POINTER|OMITEMPTY),
        f(38, "schedulingGates", Message(236), REPEATED|OMITEMPTY),
        f(39, "resourceClaims", Message(234), REPEATED|OMITEMPTY),
        f(40, "resources", Message(261), POINTER|OMITEMPTY),
        f(41, "hostnameOverride", String, POINTER|OMITEMPTY),
        f(42, "workloadRef", Message(307), OMITEMPTY),
    ] },
    // 239
    Message { name: "io.k8s.api.core.v1.PodStatus", fields: &[
        f(1, "phase", String, OMITEMPTY),
        f(2, "conditions", Message(224), REPEATED|OMITEMPTY),
        f(3, "message", String, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "hostIP", String, OMITEMPTY),
        f(6, "podIP", String, OMITEMPTY),
        f(7, "startTime", Time, POINTER|OMITEMPTY),
        f(8, "containerStatuses", Message(131), REPEATED|OMITEMPTY),
        f(9, "qosClass", String, OMITEMPTY),
        f(10, "initContainerStatuses", Message(131), REPEATED|OMITEMPTY),
        f(11, "nominatedNodeName", String, OMITEMPTY),
        f(12, "podIPs", Message(229), REPEATED|OMITEMPTY),
        f(13, "ephemeralContainerStatuses", Message(131), REPEATED|OMITEMPTY),
        f(14, "resize", String, OMITEMPTY),
        f(15, "resourceClaimStatuses", Message(235), REPEATED|OMITEMPTY),
        f(16, "hostIPs", Message(165), REPEATED|OMITEMPTY),
        f(17, "observedGeneration", Int64, OMITEMPTY),
        f(18, "extendedResourceClaimStatus", Message(228), POINTER|OMITEMPTY),
        f(19, "allocatedResources", Map(&Quantity), OMITEMPTY),
        f(20, "resources", Message(261), POINTER|OMITEMPTY),
    ] },
    // 240
    Message { name: "io.k8s.api.core.v1.PodTemplate", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "template", Message(241), OMITEMPTY),
    ] },
    // 241
    Message { name: "io.k8s.api.core.v1.PodTemplateSpec", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(238), OMITEMPTY),
    ] },
    // 242
    Message { name: "io.k8s.api.core.v1.PortStatus", fields: &[
        f(1, "port", Int32, 0),
        f(2, "protocol", String, 0),
        f(3, "error", String, POINTER|OMITEMPTY),
    ] },
    // 243
    Message { name: "io.k8s.api.core.v1.PortworxVolumeSource", fields: &[
        f(1, "volumeID", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "readOnly", Bool, OMITEMPTY),
    ] },
    // 244
    Message { name: "io.k8s.api.core.v1.PreferredSchedulingTerm", fields: &[
        f(1, "weight", Int32, 0),
        f(2, "preference", Message(200), 0),
    ] },
    // 245
    Message { name: "io.k8s.api.core.v1.Probe", fields: &[
        f(1, "", Message(246), INLINE),
        f(2, "initialDelaySeconds", Int32, OMITEMPTY),
        f(3, "timeoutSeconds", Int32, OMITEMPTY),
        f(4, "periodSeconds", Int32, OMITEMPTY),
        f(5, "successThreshold", Int32, OMITEMPTY),
        f(6, "failureThreshold", Int32, OMITEMPTY),
        f(7, "terminationGracePeriodSeconds", Int64, POINTER|OMITEMPTY),
    ] },
    // 246
    Message { name: "io.k8s.api.core.v1.ProbeHandler", fields: &[
        f(1, "exec", Message(151), POINTER|OMITEMPTY),
        f(2, "httpGet", Message(162), POINTER|OMITEMPTY),
        f(3, "tcpSocket", Message(288), POINTER|OMITEMPTY),
        f(4, "grpc", Message(158), POINTER|OMITEMPTY),
    ] },
    // 247
    Message { name: "io.k8s.api.core.v1.ProjectedVolumeSource", fields: &[
        f(1, "sources", Message(301), REPEATED),
        f(2, "defaultMode", Int32, POINTER|OMITEMPTY),
    ] },
    // 248
    Message { name: "io.k8s.api.core.v1.QuobyteVolumeSource", fields: &[
        f(1, "registry", String, 0),
        f(2, "volume", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "user", String, OMITEMPTY),
        f(5, "group", String, OMITEMPTY),
        f(6, "tenant", String, OMITEMPTY),
    ] },
    // 249
    Message { name: "io.k8s.api.core.v1.RBDPersistentVolumeSource", fields: &[
        f(1, "monitors", String, REPEATED),
        f(2, "image", String, 0),
        f(3, "fsType", String, OMITEMPTY),
        f(4, "pool", String, OMITEMPTY),
        f(5, "user", String, OMITEMPTY),
        f(6, "keyring", String, OMITEMPTY),
        f(7, "secretRef", Message(273), POINTER|OMITEMPTY),
        f(8, "readOnly", Bool, OMITEMPTY),
    ] },
    // 250
    Message { name: "io.k8s.api.core.v1.RBDVolumeSource", fields: &[
        f(1, "monitors", String, REPEATED),
        f(2, "image", String, 0),
        f(3, "fsType", String, OMITEMPTY),
        f(4, "pool", String, OMITEMPTY),
        f(5, "user", String, OMITEMPTY),
        f(6, "keyring", String, OMITEMPTY),
        f(7, "secretRef", Message(179), POINTER|OMITEMPTY),
        f(8, "readOnly", Bool, OMITEMPTY),
    ] },
    // 251
    Message { name: "io.k8s.api.core.v1.ReplicationController", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(253), OMITEMPTY),
        f(3, "status", Message(254), OMITEMPTY),
    ] },
    // 252
    Message { name: "io.k8s.api.core.v1.ReplicationControllerCondition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "lastTransitionTime", Time, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "message", String, OMITEMPTY),
    ] },
    // 253
    Message { name: "io.k8s.api.core.v1.ReplicationControllerSpec", fields: &[
        f(1, "replicas", Int32, POINTER|OMITEMPTY),
        f(2, "selector", Map(&String), OMITEMPTY),
        f(3, "template", Message(241), POINTER|OMITEMPTY),
        f(4, "minReadySeconds", Int32, OMITEMPTY),
    ] },
    // 254
    Message { name: "io.k8s.api.core.v1.ReplicationControllerStatus", fields: &[
        f(1, "replicas", Int32, 0),
        f(2, "fullyLabeledReplicas", Int32, OMITEMPTY),
        f(3, "observedGeneration", Int64, OMITEMPTY),
        f(4, "readyReplicas", Int32, OMITEMPTY),
        f(5, "availableReplicas", Int32, OMITEMPTY),
        f(6, "conditions", Message(252), REPEATED|OMITEMPTY),
    ] },
    // 255
    Message { name: "io.k8s.api.core.v1.ResourceClaim", fields: &[
        f(1, "name", String, 0),
        f(2, "request", String, OMITEMPTY),
    ] },
    // 256
    Message { name: "io.k8s.api.core.v1.ResourceFieldSelector", fields: &[
        f(1, "containerName", String, OMITEMPTY),
        f(2, "resource", String, 0),
        f(3, "divisor", Quantity, OMITEMPTY),
    ] },
    // 257
    Message { name: "io.k8s.api.core.v1.ResourceHealth", fields: &[
        f(1, "resourceID", String, 0),
        f(2, "health", String, OMITEMPTY),
    ] },
    // 258
    Message { name: "io.k8s.api.core.v1.ResourceQuota", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(259), OMITEMPTY),
        f(3, "status", Message(260), OMITEMPTY),
    ] },
    // 259
    Message { name: "io.k8s.api.core.v1.ResourceQuotaSpec", fields: &[
        f(1, "hard", Map(&Quantity), OMITEMPTY),
        f(2, "scopes", String, REPEATED|OMITEMPTY),
        f(3, "scopeSelector", Message(266), POINTER|OMITEMPTY),
    ] },
    // 260
    Message { name: "io.k8s.api.core.v1.ResourceQuotaStatus", fields: &[
        f(1, "hard", Map(&Quantity), OMITEMPTY),
        f(2, "used", Map(&Quantity), OMITEMPTY),
    ] },
    // 261
    Message { name: "io.k8s.api.core.v1.ResourceRequirements", fields: &[
        f(1, "limits", Map(&Quantity), OMITEMPTY),
        f(2, "requests", Map(&Quantity), OMITEMPTY),
        f(3, "claims", Message(255), REPEATED|OMITEMPTY),
    ] },
    // 262
    Message { name: "io.k8s.api.core.v1.ResourceStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "resources", Message(257), REPEATED|OMITEMPTY),
    ] },
    // 263
    Message { name: "io.k8s.api.core.v1.SELinuxOptions", fields: &[
        f(1, "user", String, OMITEMPTY),
        f(2, "role", String, OMITEMPTY),
        f(3, "type", String, OMITEMPTY),
        f(4, "level", String, OMITEMPTY),
    ] },
    // 264
    Message { name: "io.k8s.api.core.v1.ScaleIOPersistentVolumeSource", fields: &[
        f(1, "gateway", String, 0),
        f(2, "system", String, 0),
        f(3, "secretRef", Message(273), POINTER),
        f(4, "sslEnabled", Bool, OMITEMPTY),
        f(5, "protectionDomain", String, OMITEMPTY),
        f(6, "storagePool", String, OMITEMPTY),
        f(7, "storageMode", String, OMITEMPTY),
        f(8, "volumeName", String, OMITEMPTY),
        f(9, "fsType", String, OMITEMPTY),
        f(10, "readOnly", Bool, OMITEMPTY),
    ] },
    // 265
    Message { name: "io.k8s.api.core.v1.ScaleIOVolumeSource", fields: &[
        f(1, "gateway", String, 0),
        f(2, "system", String, 0),
        f(3, "secretRef", Message(179), POINTER),
        f(4, "sslEnabled", Bool, OMITEMPTY),
        f(5, "protectionDomain", String, OMITEMPTY),
        f(6, "storagePool", String, OMITEMPTY),
        f(7, "storageMode", String, OMITEMPTY),
        f(8, "volumeName", String, OMITEMPTY),
        f(9, "fsType", String, OMITEMPTY),
        f(10, "readOnly", Bool, OMITEMPTY),
    ] },
    // 266
    Message { name: "io.k8s.api.core.v1.ScopeSelector", fields: &[
        f(1, "matchExpressions", Message(267), REPEATED|OMITEMPTY),
    ] },
    // 267
    Message { name: "io.k8s.api.core.v1.ScopedResourceSelectorRequirement", fields: &[
        f(1, "scopeName", String, 0),
        f(2, "operator", String, 0),
        f(3, "values", String, REPEATED|OMITEMPTY),
    ] },
    // 268
    Message { name: "io.k8s.api.core.v1.SeccompProfile", fields: &[
        f(1, "type", String, 0),
        f(2, "localhostProfile", String, POINTER|OMITEMPTY),
    ] },
    // 269
    Message { name: "io.k8s.api.core.v1.Secret", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "data", Map(&Bytes), OMITEMPTY),
        f(3, "type", String, OMITEMPTY),
        f(4, "stringData", Map(&String), OMITEMPTY),
        f(5, "immutable", Bool, POINTER|OMITEMPTY),
    ] },
    // 270
    Message { name: "io.k8s.api.core.v1.SecretEnvSource", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 271
    Message { name: "io.k8s.api.core.v1.SecretKeySelector", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "key", String, 0),
        f(3, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 272
    Message { name: "io.k8s.api.core.v1.SecretProjection", fields: &[
        f(1, "", Message(179), INLINE),
        f(2, "items", Message(170), REPEATED|OMITEMPTY),
        f(4, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 273
    Message { name: "io.k8s.api.core.v1.SecretReference", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "namespace", String, OMITEMPTY),
    ] },
    // 274
    Message { name: "io.k8s.api.core.v1.SecretVolumeSource", fields: &[
        f(1, "secretName", String, OMITEMPTY),
        f(2, "items", Message(170), REPEATED|OMITEMPTY),
        f(3, "defaultMode", Int32, POINTER|OMITEMPTY),
        f(4, "optional", Bool, POINTER|OMITEMPTY),
    ] },
    // 275
    Message { name: "io.k8s.api.core.v1.SecurityContext", fields: &[
        f(1, "capabilities", Message(107), POINTER|OMITEMPTY),
        f(2, "privileged", Bool, POINTER|OMITEMPTY),
        f(3, "seLinuxOptions", Message(263), POINTER|OMITEMPTY),
        f(4, "runAsUser", Int64, POINTER|OMITEMPTY),
        f(5, "runAsNonRoot", Bool, POINTER|OMITEMPTY),
        f(6, "readOnlyRootFilesystem", Bool, POINTER|OMITEMPTY),
        f(7, "allowPrivilegeEscalation", Bool, POINTER|OMITEMPTY),
        f(8, "runAsGroup", Int64, POINTER|OMITEMPTY),
        f(9, "procMount", String, POINTER|OMITEMPTY),
        f(10, "windowsOptions", Message(306), POINTER|OMITEMPTY),
        f(11, "seccompProfile", Message(268), POINTER|OMITEMPTY),
        f(12, "appArmorProfile", Message(99), POINTER|OMITEMPTY),
    ] },
    // 276
    Message { name: "io.k8s.api.core.v1.Service", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(281), OMITEMPTY),
        f(3, "status", Message(282), OMITEMPTY),
    ] },
    // 277
    Message { name: "io.k8s.api.core.v1.ServiceAccount", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "secrets", Message(206), REPEATED|OMITEMPTY),
        f(3, "imagePullSecrets", Message(179), REPEATED|OMITEMPTY),
        f(4, "automountServiceAccountToken", Bool, POINTER|OMITEMPTY),
    ] },
    // 278
    Message { name: "io.k8s.api.core.v1.ServiceAccountTokenProjection", fields: &[
        f(1, "audience", String, OMITEMPTY),
        f(2, "expirationSeconds", Int64, POINTER|OMITEMPTY),
        f(3, "path", String, 0),
    ] },
    // 279
    Message { name: "io.k8s.api.core.v1.ServicePort", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "protocol", String, OMITEMPTY),
        f(3, "port", Int32, 0),
        f(4, "targetPort", IntOrString, OMITEMPTY),
        f(5, "nodePort", Int32, OMITEMPTY),
        f(6, "appProtocol", String, POINTER|OMITEMPTY),
    ] },
    // 280
    Message { name: "io.k8s.api.core.v1.ServiceProxyOptions", fields: &[
        f(1, "path", String, OMITEMPTY),
    ] },
    // 281
    Message { name: "io.k8s.api.core.v1.ServiceSpec", fields: &[
        f(1, "ports", Message(279), REPEATED|OMITEMPTY),
        f(2, "selector", Map(&String), OMITEMPTY),
        f(3, "clusterIP", String, OMITEMPTY),
        f(4, "type", String, OMITEMPTY),
        f(5, "externalIPs", String, REPEATED|OMITEMPTY),
        f(7, "sessionAffinity", String, OMITEMPTY),
        f(8, "loadBalancerIP", String, OMITEMPTY),
        f(9, "loadBalancerSourceRanges", String, REPEATED|OMITEMPTY),
        f(10, "externalName", String, OMITEMPTY),
        f(11, "externalTrafficPolicy", String, OMITEMPTY),
        f(12, "healthCheckNodePort", Int32, OMITEMPTY),
        f(13, "publishNotReadyAddresses", Bool, OMITEMPTY),
        f(14, "sessionAffinityConfig", Message(283), POINTER|OMITEMPTY),
        f(17, "ipFamilyPolicy", String, POINTER|OMITEMPTY),
        f(18, "clusterIPs", String, REPEATED|OMITEMPTY),
        f(19, "ipFamilies", String, REPEATED|OMITEMPTY),
        f(20, "allocateLoadBalancerNodePorts", Bool, POINTER|OMITEMPTY),
        f(21, "loadBalancerClass", String, POINTER|OMITEMPTY),
        f(22, "internalTrafficPolicy", String, POINTER|OMITEMPTY),
        f(23, "trafficDistribution", String, POINTER|OMITEMPTY),
    ] },
    // 282
    Message { name: "io.k8s.api.core.v1.ServiceStatus", fields: &[
        f(1, "loadBalancer", Message(178), OMITEMPTY),
        f(2, "conditions", Message(355), REPEATED|OMITEMPTY),
    ] },
    // 283
    Message { name: "io.k8s.api.core.v1.SessionAffinityConfig", fields: &[
        f(1, "clientIP", Message(112), POINTER|OMITEMPTY),
    ] },
    // 284
    Message { name: "io.k8s.api.core.v1.SleepAction", fields: &[
        f(1, "seconds", Int64, 0),
    ] },
    // 285
    Message { name: "io.k8s.api.core.v1.StorageOSPersistentVolumeSource", fields: &[
        f(1, "volumeName", String, OMITEMPTY),
        f(2, "volumeNamespace", String, OMITEMPTY),
        f(3, "fsType", String, OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
        f(5, "secretRef", Message(206), POINTER|OMITEMPTY),
    ] },
    // 286
    Message { name: "io.k8s.api.core.v1.StorageOSVolumeSource", fields: &[
        f(1, "volumeName", String, OMITEMPTY),
        f(2, "volumeNamespace", String, OMITEMPTY),
        f(3, "fsType", String, OMITEMPTY),
        f(4, "readOnly", Bool, OMITEMPTY),
        f(5, "secretRef", Message(179), POINTER|OMITEMPTY),
    ] },
    // 287
    Message { name: "io.k8s.api.core.v1.Sysctl", fields: &[
        f(1, "name", String, 0),
        f(2, "value", String, 0),
    ] },
    // 288
    Message { name: "io.k8s.api.core.v1.TCPSocketAction", fields: &[
        f(1, "port", IntOrString, 0),
        f(2, "host", String, OMITEMPTY),
    ] },
    // 289
    Message { name: "io.k8s.api.core.v1.Taint", fields: &[
        f(1, "key", String, 0),
        f(2, "value", String, OMITEMPTY),
        f(3, "effect", String, 0),
        f(4, "timeAdded", Time, POINTER|OMITEMPTY),
    ] },
    // 290
    Message { name: "io.k8s.api.core.v1.Toleration", fields: &[
        f(1, "key", String, OMITEMPTY),
        f(2, "operator", String, OMITEMPTY),
        f(3, "value", String, OMITEMPTY),
        f(4, "effect", String, OMITEMPTY),
        f(5, "tolerationSeconds", Int64, POINTER|OMITEMPTY),
    ] },
    // 291
    Message { name: "io.k8s.api.core.v1.TopologySelectorLabelRequirement", fields: &[
        f(1, "key", String, 0),
        f(2, "values", String, REPEATED),
    ] },
    // 292
    Message { name: "io.k8s.api.core.v1.TopologySelectorTerm", fields: &[
        f(1, "matchLabelExpressions", Message(291), REPEATED|OMITEMPTY),
    ] },
    // 293
    Message { name: "io.k8s.api.core.v1.TopologySpreadConstraint", fields: &[
        f(1, "maxSkew", Int32, 0),
        f(2, "topologyKey", String, 0),
        f(3, "whenUnsatisfiable", String, 0),
        f(4, "labelSelector", Message(358), POINTER|OMITEMPTY),
        f(5, "minDomains", Int32, POINTER|OMITEMPTY),
        f(6, "nodeAffinityPolicy", String, POINTER|OMITEMPTY),
        f(7, "nodeTaintsPolicy", String, POINTER|OMITEMPTY),
        f(8, "matchLabelKeys", String, REPEATED|OMITEMPTY),
    ] },
    // 294
    Message { name: "io.k8s.api.core.v1.TypedLocalObjectReference", fields: &[
        f(1, "apiGroup", String, POINTER),
        f(2, "kind", String, 0),
        f(3, "name", String, 0),
    ] },
    // 295
    Message { name: "io.k8s.api.core.v1.TypedObjectReference", fields: &[
        f(1, "apiGroup", String, POINTER),
        f(2, "kind", String, 0),
        f(3, "name", String, 0),
        f(4, "namespace", String, POINTER|OMITEMPTY),
    ] },
    // 296
    Message { name: "io.k8s.api.core.v1.Volume", fields: &[
        f(1, "name", String, 0),
        f(2, "", Message(303), INLINE),
    ] },
    // 297
    Message { name: "io.k8s.api.core.v1.VolumeDevice", fields: &[
        f(1, "name", String, 0),
        f(2, "devicePath", String, 0),
    ] },
    // 298
    Message { name: "io.k8s.api.core.v1.VolumeMount", fields: &[
        f(1, "name", String, 0),
        f(2, "readOnly", Bool, OMITEMPTY),
        f(3, "mountPath", String, 0),
        f(4, "subPath", String, OMITEMPTY),
        f(5, "mountPropagation", String, POINTER|OMITEMPTY),
        f(6, "subPathExpr", String, OMITEMPTY),
        f(7, "recursiveReadOnly", String, POINTER|OMITEMPTY),
    ] },
    // 299
    Message { name: "io.k8s.api.core.v1.VolumeMountStatus", fields: &[
        f(1, "name", String, 0),
        f(2, "mountPath", String, 0),
        f(3, "readOnly", Bool, OMITEMPTY),
        f(4, "recursiveReadOnly", String, POINTER|OMITEMPTY),
    ] },
    // 300
    Message { name: "io.k8s.api.core.v1.VolumeNodeAffinity", fields: &[
        f(1, "required", Message(198), POINTER|OMITEMPTY),
    ] },
    // 301
    Message { name: "io.k8s.api.core.v1.VolumeProjection", fields: &[
        f(1, "secret", Message(272), POINTER|OMITEMPTY),
        f(2, "downwardAPI", Message(134), POINTER|OMITEMPTY),
        f(3, "configMap", Message(118), POINTER|OMITEMPTY),
        f(4, "serviceAccountToken", Message(278), POINTER|OMITEMPTY),
        f(5, "clusterTrustBundle", Message(113), POINTER|OMITEMPTY),
        f(6, "podCertificate", Message(223), POINTER|OMITEMPTY),
    ] },
    // 302
    Message { name: "io.k8s.api.core.v1.VolumeResourceRequirements", fields: &[
        f(1, "limits", Map(&Quantity), OMITEMPTY),
        f(2, "requests", Map(&Quantity), OMITEMPTY),
    ] },
    // 303
    Message { name: "io.k8s.api.core.v1.VolumeSource", fields: &[
        f(1, "hostPath", Message(166), POINTER|OMITEMPTY),
        f(2, "emptyDir", Message(137), POINTER|OMITEMPTY),
        f(3, "gcePersistentDisk", Message(157), POINTER|OMITEMPTY),
        f(4, "awsElasticBlockStore", Message(97), POINTER|OMITEMPTY),
        f(5, "gitRepo", Message(159), POINTER|OMITEMPTY),
        f(6, "secret", Message(274), POINTER|OMITEMPTY),
        f(7, "nfs", Message(182), POINTER|OMITEMPTY),
        f(8, "iscsi", Message(168), POINTER|OMITEMPTY),
        f(9, "glusterfs", Message(161), POINTER|OMITEMPTY),
        f(10, "persistentVolumeClaim", Message(213), POINTER|OMITEMPTY),
        f(11, "rbd", Message(250), POINTER|OMITEMPTY),
        f(12, "flexVolume", Message(155), POINTER|OMITEMPTY),
        f(13, "cinder", Message(111), POINTER|OMITEMPTY),
        f(14, "cephfs", Message(109), POINTER|OMITEMPTY),
        f(15, "flocker", Message(156), POINTER|OMITEMPTY),
        f(16, "downwardAPI", Message(136), POINTER|OMITEMPTY),
        f(17, "fc", Message(152), POINTER|OMITEMPTY),
        f(18, "azureFile", Message(103), POINTER|OMITEMPTY),
        f(19, "configMap", Message(119), POINTER|OMITEMPTY),
        f(20, "vsphereVolume", Message(304), POINTER|OMITEMPTY),
        f(21, "quobyte", Message(248), POINTER|OMITEMPTY),
        f(22, "azureDisk", Message(101), POINTER|OMITEMPTY),
        f(23, "photonPersistentDisk", Message(217), POINTER|OMITEMPTY),
        f(24, "portworxVolume", Message(243), POINTER|OMITEMPTY),
        f(25, "scaleIO", Message(265), POINTER|OMITEMPTY),
        f(26, "projected", Message(247), POINTER|OMITEMPTY),
        f(27, "storageos", Message(286), POINTER|OMITEMPTY),
        f(28, "csi", Message(106), POINTER|OMITEMPTY),
        f(29, "ephemeral", Message(147), POINTER|OMITEMPTY),
        f(30, "image", Message(169), POINTER|OMITEMPTY),
    ] },
    // 304
    Message { name: "io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource", fields: &[
        f(1, "volumePath", String, 0),
        f(2, "fsType", String, OMITEMPTY),
        f(3, "storagePolicyName", String, OMITEMPTY),
        f(4, "storagePolicyID", String, OMITEMPTY),
    ] },
    // 305
    Message { name: "io.k8s.api.core.v1.WeightedPodAffinityTerm", fields: &[
        f(1, "weight", Int32, 0),
        f(2, "podAffinityTerm", Message(220), 0),
    ] },
    // 306
    Message { name: "io.k8s.api.core.v1.WindowsSecurityContextOptions", fields: &[
        f(1, "gmsaCredentialSpecName", String, POINTER|OMITEMPTY),
        f(2, "gmsaCredentialSpec", String, POINTER|OMITEMPTY),
        f(3, "runAsUserName", String, POINTER|OMITEMPTY),
        f(4, "hostProcess", Bool, POINTER|OMITEMPTY),
    ] },
    // 307
    Message { name: "io.k8s.api.core.v1.WorkloadReference", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "podGroup", String, OMITEMPTY),
        f(3, "podGroupReplicaKey", String, OMITEMPTY),
    ] },
    // 308
    Message { name: "io.k8s.api.discovery.v1.Endpoint", fields: &[
        f(1, "addresses", String, REPEATED),
        f(2, "conditions", Message(309), OMITEMPTY),
        f(3, "hostname", String, POINTER|OMITEMPTY),
        f(4, "targetRef", Message(206), POINTER|OMITEMPTY),
        f(5, "deprecatedTopology", Map(&String), OMITEMPTY),
        f(6, "nodeName", String, POINTER|OMITEMPTY),
        f(7, "zone", String, POINTER|OMITEMPTY),
        f(8, "hints", Message(310), POINTER|OMITEMPTY),
    ] },
    // 309
    Message { name: "io.k8s.api.discovery.v1.EndpointConditions", fields: &[
        f(1, "ready", Bool, POINTER|OMITEMPTY),
        f(2, "serving", Bool, POINTER|OMITEMPTY),
        f(3, "terminating", Bool, POINTER|OMITEMPTY),
    ] },
    // 310
    Message { name: "io.k8s.api.discovery.v1.EndpointHints", fields: &[
        f(1, "forZones", Message(314), REPEATED|OMITEMPTY),
        f(2, "forNodes", Message(313), REPEATED|OMITEMPTY),
    ] },
    // 311
    Message { name: "io.k8s.api.discovery.v1.EndpointPort", fields: &[
        f(1, "name", String, POINTER|OMITEMPTY),
        f(2, "protocol", String, POINTER|OMITEMPTY),
        f(3, "port", Int32, POINTER|OMITEMPTY),
        f(4, "appProtocol", String, POINTER|OMITEMPTY),
    ] },
    // 312
    Message { name: "io.k8s.api.discovery.v1.EndpointSlice", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "endpoints", Message(308), REPEATED),
        f(3, "ports", Message(311), REPEATED),
        f(4, "addressType", String, 0),
    ] },
    // 313
    Message { name: "io.k8s.api.discovery.v1.ForNode", fields: &[
        f(1, "name", String, 0),
    ] },
    // 314
    Message { name: "io.k8s.api.discovery.v1.ForZone", fields: &[
        f(1, "name", String, 0),
    ] },
    // 315
    Message { name: "io.k8s.api.events.v1.Event", fields: &[
        f(1, "metadata", Message(362), 0),
        f(2, "eventTime", MicroTime, 0),
        f(3, "series", Message(316), POINTER|OMITEMPTY),
        f(4, "reportingController", String, OMITEMPTY),
        f(5, "reportingInstance", String, OMITEMPTY),
        f(6, "action", String, OMITEMPTY),
        f(7, "reason", String, OMITEMPTY),
        f(8, "regarding", Message(206), OMITEMPTY),
        f(9, "related", Message(206), POINTER|OMITEMPTY),
        f(10, "note", String, OMITEMPTY),
        f(11, "type", String, OMITEMPTY),
        f(12, "deprecatedSource", Message(150), OMITEMPTY),
        f(13, "deprecatedFirstTimestamp", Time, OMITEMPTY),
        f(14, "deprecatedLastTimestamp", Time, OMITEMPTY),
        f(15, "deprecatedCount", Int32, OMITEMPTY),
    ] },
    // 316
    Message { name: "io.k8s.api.events.v1.EventSeries", fields: &[
        f(1, "count", Int32, 0),
        f(2, "lastObservedTime", MicroTime, 0),
    ] },
    // 317
    Message { name: "io.k8s.api.networking.v1.HTTPIngressPath", fields: &[
        f(1, "path", String, OMITEMPTY),
        f(2, "backend", Message(321), 0),
        f(3, "pathType", String, POINTER),
    ] },
    // 318
    Message { name: "io.k8s.api.networking.v1.HTTPIngressRuleValue", fields: &[
        f(1, "paths", Message(317), REPEATED),
    ] },
    // 319
    Message { name: "io.k8s.api.networking.v1.IPBlock", fields: &[
        f(1, "cidr", String, 0),
        f(2, "except", String, REPEATED|OMITEMPTY),
    ] },
    // 320
    Message { name: "io.k8s.api.networking.v1.Ingress", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(331), OMITEMPTY),
        f(3, "status", Message(332), OMITEMPTY),
    ] },
    // 321
    Message { name: "io.k8s.api.networking.v1.IngressBackend", fields: &[
        f(3, "resource", Message(294), POINTER|OMITEMPTY),
        f(4, "service", Message(330), POINTER|OMITEMPTY),
    ] },
    // 322
    Message { name: "io.k8s.api.networking.v1.IngressClass", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(324), OMITEMPTY),
    ] },
    // 323
    Message { name: "io.k8s.api.networking.v1.IngressClassParametersReference", fields: &[
        f(1, "apiGroup", String, POINTER|OMITEMPTY),
        f(2, "kind", String, 0),
        f(3, "name", String, 0),
        f(4, "scope", String, POINTER),
        f(5, "namespace", String, POINTER|OMITEMPTY),
    ] },
    // 324
    Message { name: "io.k8s.api.networking.v1.IngressClassSpec", fields: &[
        f(1, "controller", String, OMITEMPTY),
        f(2, "parameters", Message(323), POINTER|OMITEMPTY),
    ] },
    // 325
    Message { name: "io.k8s.api.networking.v1.IngressLoadBalancerIngress", fields: &[
        f(1, "ip", String, OMITEMPTY),
        f(2, "hostname", String, OMITEMPTY),
        f(4, "ports", Message(327), REPEATED|OMITEMPTY),
    ] },
    // 326
    Message { name: "io.k8s.api.networking.v1.IngressLoadBalancerStatus", fields: &[
        f(1, "ingress", Message(325), REPEATED|OMITEMPTY),
    ] },
    // 327
    Message { name: "io.k8s.api.networking.v1.IngressPortStatus", fields: &[
        f(1, "port", Int32, 0),
        f(2, "protocol", String, 0),
        f(3, "error", String, POINTER|OMITEMPTY),
    ] },
    // 328
    Message { name: "io.k8s.api.networking.v1.IngressRule", fields: &[
        f(1, "host", String, OMITEMPTY),
        f(2, "", Message(329), INLINE),
    ] },
    // 329
    Message { name: "io.k8s.api.networking.v1.IngressRuleValue", fields: &[
        f(1, "http", Message(318), POINTER|OMITEMPTY),
    ] },
    // 330
    Message { name: "io.k8s.api.networking.v1.IngressServiceBackend", fields: &[
        f(1, "name", String, 0),
        f(2, "port", Message(340), OMITEMPTY),
    ] },
    // 331
    Message { name: "io.k8s.api.networking.v1.IngressSpec", fields: &[
        f(1, "defaultBackend", Message(321), POINTER|OMITEMPTY),
        f(2, "tls", Message(333), REPEATED|OMITEMPTY),
        f(3, "rules", Message(328), REPEATED|OMITEMPTY),
        f(4, "ingressClassName", String, POINTER|OMITEMPTY),
    ] },
    // 332
    Message { name: "io.k8s.api.networking.v1.IngressStatus", fields: &[
        f(1, "loadBalancer", Message(326), OMITEMPTY),
    ] },
    // 333
    Message { name: "io.k8s.api.networking.v1.IngressTLS", fields: &[
        f(1, "hosts", String, REPEATED|OMITEMPTY),
        f(2, "secretName", String, OMITEMPTY),
    ] },
    // 334
    Message { name: "io.k8s.api.networking.v1.NetworkPolicy", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(339), OMITEMPTY),
    ] },
    // 335
    Message { name: "io.k8s.api.networking.v1.NetworkPolicyEgressRule", fields: &[
        f(1, "ports", Message(338), REPEATED|OMITEMPTY),
        f(2, "to", Message(337), REPEATED|OMITEMPTY),
    ] },
    // 336
    Message { name: "io.k8s.api.networking.v1.NetworkPolicyIngressRule", fields: &[
        f(1, "ports", Message(338), REPEATED|OMITEMPTY),
        f(2, "from", Message(337), REPEATED|OMITEMPTY),
    ] },
    // 337
    Message { name: "io.k8s.api.networking.v1.NetworkPolicyPeer", fields: &[
        f(1, "podSelector", Message(358), POINTER|OMITEMPTY),
        f(2, "namespaceSelector", Message(358), POINTER|OMITEMPTY),
        f(3, "ipBlock", Message(319), POINTER|OMITEMPTY),
    ] },
    // 338
    Message { name: "io.k8s.api.networking.v1.NetworkPolicyPort", fields: &[
        f(1, "protocol", String, POINTER|OMITEMPTY),
        f(2, "port", IntOrString, POINTER|OMITEMPTY),
        f(3, "endPort", Int32, POINTER|OMITEMPTY),
    ] },
    // 339
    Message { name: "io.k8s.api.networking.v1.NetworkPolicySpec", fields: &[
        f(1, "podSelector", Message(358), 0),
        f(2, "ingress", Message(336), REPEATED|OMITEMPTY),
        f(3, "egress", Message(335), REPEATED|OMITEMPTY),
        f(4, "policyTypes", String, REPEATED|OMITEMPTY),
    ] },
    // 340
    Message { name: "io.k8s.api.networking.v1.ServiceBackendPort", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "number", Int32, OMITEMPTY),
    ] },
    // 341
    Message { name: "io.k8s.api.policy.v1.Eviction", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "deleteOptions", Message(356), POINTER|OMITEMPTY),
    ] },
    // 342
    Message { name: "io.k8s.api.policy.v1.PodDisruptionBudget", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "spec", Message(343), OMITEMPTY),
        f(3, "status", Message(344), OMITEMPTY),
    ] },
    // 343
    Message { name: "io.k8s.api.policy.v1.PodDisruptionBudgetSpec", fields: &[
        f(1, "minAvailable", IntOrString, POINTER|OMITEMPTY),
        f(2, "selector", Message(358), POINTER|OMITEMPTY),
        f(3, "maxUnavailable", IntOrString, POINTER|OMITEMPTY),
        f(4, "unhealthyPodEvictionPolicy", String, POINTER|OMITEMPTY),
    ] },
    // 344
    Message { name: "io.k8s.api.policy.v1.PodDisruptionBudgetStatus", fields: &[
        f(1, "observedGeneration", Int64, OMITEMPTY),
        f(2, "disruptedPods", Map(&Time), OMITEMPTY),
        f(3, "disruptionsAllowed", Int32, 0),
        f(4, "currentHealthy", Int32, 0),
        f(5, "desiredHealthy", Int32, 0),
        f(6, "expectedPods", Int32, 0),
        f(7, "conditions", Message(355), REPEATED|OMITEMPTY),
    ] },
    // 345
    Message { name: "io.k8s.api.rbac.v1.AggregationRule", fields: &[
        f(1, "clusterRoleSelectors", Message(358), REPEATED|OMITEMPTY),
    ] },
    // 346
    Message { name: "io.k8s.api.rbac.v1.ClusterRole", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "rules", Message(348), REPEATED),
        f(3, "aggregationRule", Message(345), POINTER|OMITEMPTY),
    ] },
    // 347
    Message { name: "io.k8s.api.rbac.v1.ClusterRoleBinding", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "subjects", Message(352), REPEATED|OMITEMPTY),
        f(3, "roleRef", Message(351), 0),
    ] },
    // 348
    Message { name: "io.k8s.api.rbac.v1.PolicyRule", fields: &[
        f(1, "verbs", String, REPEATED),
        f(2, "apiGroups", String, REPEATED|OMITEMPTY),
        f(3, "resources", String, REPEATED|OMITEMPTY),
        f(4, "resourceNames", String, REPEATED|OMITEMPTY),
        f(5, "nonResourceURLs", String, REPEATED|OMITEMPTY),
    ] },
    // 349
    Message { name: "io.k8s.api.rbac.v1.Role", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "rules", Message(348), REPEATED),
    ] },
    // 350
    Message { name: "io.k8s.api.rbac.v1.RoleBinding", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "subjects", Message(352), REPEATED|OMITEMPTY),
        f(3, "roleRef", Message(351), 0),
    ] },
    // 351
    Message { name: "io.k8s.api.rbac.v1.RoleRef", fields: &[
        f(1, "apiGroup", String, 0),
        f(2, "kind", String, 0),
        f(3, "name", String, 0),
    ] },
    // 352
    Message { name: "io.k8s.api.rbac.v1.Subject", fields: &[
        f(1, "kind", String, 0),
        f(2, "apiGroup", String, OMITEMPTY),
        f(3, "name", String, 0),
        f(4, "namespace", String, OMITEMPTY),
    ] },
    // 353
    Message { name: "io.k8s.api.scheduling.v1.PriorityClass", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "value", Int32, 0),
        f(3, "globalDefault", Bool, OMITEMPTY),
        f(4, "description", String, OMITEMPTY),
        f(5, "preemptionPolicy", String, POINTER|OMITEMPTY),
    ] },
    // 354
    Message { name: "io.k8s.api.storage.v1.StorageClass", fields: &[
        f(1, "metadata", Message(362), OMITEMPTY),
        f(2, "provisioner", String, 0),
        f(3, "parameters", Map(&String), OMITEMPTY),
        f(4, "reclaimPolicy", String, POINTER|OMITEMPTY),
        f(5, "mountOptions", String, REPEATED|OMITEMPTY),
        f(6, "allowVolumeExpansion", Bool, POINTER|OMITEMPTY),
        f(7, "volumeBindingMode", String, POINTER|OMITEMPTY),
        f(8, "allowedTopologies", Message(292), REPEATED|OMITEMPTY),
    ] },
    // 355
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.Condition", fields: &[
        f(1, "type", String, 0),
        f(2, "status", String, 0),
        f(3, "observedGeneration", Int64, OMITEMPTY),
        f(4, "lastTransitionTime", Time, 0),
        f(5, "reason", String, 0),
        f(6, "message", String, 0),
    ] },
    // 356
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", fields: &[
        f(1, "gracePeriodSeconds", Int64, POINTER|OMITEMPTY),
        f(2, "preconditions", Message(364), POINTER|OMITEMPTY),
        f(3, "orphanDependents", Bool, POINTER|OMITEMPTY),
        f(4, "propagationPolicy", String, POINTER|OMITEMPTY),
        f(5, "dryRun", String, REPEATED|OMITEMPTY),
        f(6, "ignoreStoreReadErrorWithClusterBreakingPotential", Bool, POINTER|OMITEMPTY),
    ] },
    // 357
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement", fields: &[
        f(1, "key", String, 0),
        f(2, "operator", String, 0),
        f(3, "values", String, REPEATED|OMITEMPTY),
    ] },
    // 358
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", fields: &[
        f(1, "matchLabels", Map(&String), OMITEMPTY),
        f(2, "matchExpressions", Message(359), REPEATED|OMITEMPTY),
    ] },
    // 359
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", fields: &[
        f(1, "key", String, 0),
        f(2, "operator", String, 0),
        f(3, "values", String, REPEATED|OMITEMPTY),
    ] },
    // 360
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta", fields: &[
        f(1, "selfLink", String, OMITEMPTY),
        f(2, "resourceVersion", String, OMITEMPTY),
        f(3, "continue", String, OMITEMPTY),
        f(4, "remainingItemCount", Int64, POINTER|OMITEMPTY),
    ] },
    // 361
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry", fields: &[
        f(1, "manager", String, OMITEMPTY),
        f(2, "operation", String, OMITEMPTY),
        f(3, "apiVersion", String, OMITEMPTY),
        f(4, "time", Time, POINTER|OMITEMPTY),
        f(6, "fieldsType", String, OMITEMPTY),
        f(7, "fieldsV1", FieldsV1, POINTER|OMITEMPTY),
        f(8, "subresource", String, OMITEMPTY),
    ] },
    // 362
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "generateName", String, OMITEMPTY),
        f(3, "namespace", String, OMITEMPTY),
        f(4, "selfLink", String, OMITEMPTY),
        f(5, "uid", String, OMITEMPTY),
        f(6, "resourceVersion", String, OMITEMPTY),
        f(7, "generation", Int64, OMITEMPTY),
        f(8, "creationTimestamp", Time, OMITEMPTY),
        f(9, "deletionTimestamp", Time, POINTER|OMITEMPTY),
        f(10, "deletionGracePeriodSeconds", Int64, POINTER|OMITEMPTY),
        f(11, "labels", Map(&String), OMITEMPTY),
        f(12, "annotations", Map(&String), OMITEMPTY),
        f(13, "ownerReferences", Message(363), REPEATED|OMITEMPTY),
        f(14, "finalizers", String, REPEATED|OMITEMPTY),
        f(17, "managedFields", Message(361), REPEATED|OMITEMPTY),
    ] },
    // 363
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", fields: &[
        f(1, "kind", String, 0),
        f(3, "name", String, 0),
        f(4, "uid", String, 0),
        f(5, "apiVersion", String, 0),
        f(6, "controller", Bool, POINTER|OMITEMPTY),
        f(7, "blockOwnerDeletion", Bool, POINTER|OMITEMPTY),
    ] },
    // 364
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions", fields: &[
        f(1, "uid", String, POINTER|OMITEMPTY),
        f(2, "resourceVersion", String, POINTER|OMITEMPTY),
    ] },
    // 365
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.Status", fields: &[
        f(1, "metadata", Message(360), OMITEMPTY),
        f(2, "status", String, OMITEMPTY),
        f(3, "message", String, OMITEMPTY),
        f(4, "reason", String, OMITEMPTY),
        f(5, "details", Message(367), POINTER|OMITEMPTY),
        f(6, "code", Int32, OMITEMPTY),
    ] },
    // 366
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause", fields: &[
        f(1, "reason", String, OMITEMPTY),
        f(2, "message", String, OMITEMPTY),
        f(3, "field", String, OMITEMPTY),
    ] },
    // 367
    Message { name: "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails", fields: &[
        f(1, "name", String, OMITEMPTY),
        f(2, "group", String, OMITEMPTY),
        f(3, "kind", String, OMITEMPTY),
        f(4, "causes", Message(366), REPEATED|OMITEMPTY),
        f(5, "retryAfterSeconds", Int32, OMITEMPTY),
        f(6, "uid", String, OMITEMPTY),
    ] },
];

/// Top-level kinds: (apiVersion, kind, index into MESSAGES), sorted.
#[rustfmt::skip]
pub(crate) static KINDS: &[(&str, &str, u16)] = &[
    ("apps/v1", "ControllerRevision", 0),
    ("apps/v1", "DaemonSet", 1),
    ("apps/v1", "Deployment", 6),
    ("apps/v1", "ReplicaSet", 11),
    ("apps/v1", "StatefulSet", 18),
    ("authentication.k8s.io/v1", "SelfSubjectReview", 26),
    ("authentication.k8s.io/v1", "TokenRequest", 28),
    ("authentication.k8s.io/v1", "TokenReview", 31),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview", 37),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview", 42),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview", 44),
    ("authorization.k8s.io/v1", "SubjectAccessReview", 46),
    ("autoscaling/v1", "Scale", 50),
    ("autoscaling/v2", "HorizontalPodAutoscaler", 60),
    ("batch/v1", "CronJob", 76),
    ("batch/v1", "Job", 79),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", 91),
    ("coordination.k8s.io/v1", "Lease", 95),
    ("discovery.k8s.io/v1", "EndpointSlice", 312),
    ("events.k8s.io/v1", "Event", 315),
    ("meta.k8s.io/v1", "DeleteOptions", 356),
    ("meta.k8s.io/v1", "Status", 365),
    ("networking.k8s.io/v1", "Ingress", 320),
    ("networking.k8s.io/v1", "IngressClass", 322),
    ("networking.k8s.io/v1", "NetworkPolicy", 334),
    ("policy/v1", "Eviction", 341),
    ("policy/v1", "PodDisruptionBudget", 342),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", 346),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", 347),
    ("rbac.authorization.k8s.io/v1", "Role", 349),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", 350),
    ("scheduling.k8s.io/v1", "PriorityClass", 353),
    ("storage.k8s.io/v1", "StorageClass", 354),
    ("v1", "Binding", 104),
    ("v1", "ConfigMap", 114),
    ("v1", "Endpoints", 141),
    ("v1", "Event", 148),
    ("v1", "LimitRange", 173),
    ("v1", "Namespace", 183),
    ("v1", "Node", 187),
    ("v1", "NodeProxyOptions", 195),
    ("v1", "PersistentVolume", 207),
    ("v1", "PersistentVolumeClaim", 208),
    ("v1", "Pod", 218),
    ("v1", "PodAttachOptions", 222),
    ("v1", "PodExecOptions", 227),
    ("v1", "PodPortForwardOptions", 231),
    ("v1", "PodProxyOptions", 232),
    ("v1", "PodTemplate", 240),
    ("v1", "ReplicationController", 251),
    ("v1", "ResourceQuota", 258),
    ("v1", "Secret", 269),
    ("v1", "Service", 276),
    ("v1", "ServiceAccount", 277),
    ("v1", "ServiceProxyOptions", 280),
    ("v1", "Status", 365),
];
