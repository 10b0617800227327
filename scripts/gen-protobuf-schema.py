#!/usr/bin/env python3
"""Generate crates/berth-api/src/protobuf/schema.rs, the protobuf field table
that berth uses to decode `application/vnd.kubernetes.protobuf` request bodies.

Inputs (stdlib only, nothing is compiled):

* the k8s-pb crate's prost sources: message names, field tags and wire kinds
  (`#[prost(string, optional, tag = "1")] pub name: ...`);
* the k8s-openapi crate's generated sources: the exact JSON field name of each
  field (`"volumeID" => Field::Key_volume_id`), since prost's snake_case names
  lose case. A protobuf field with no JSON property is a Go embedded struct
  (`json:",inline"`, e.g. ConfigMapKeySelector.localObjectReference) and is
  flattened into its parent;
* optionally Go sources of k8s.io/api and k8s.io/apimachinery (`--go-api`,
  `--go-apimachinery`, plain checkouts): whether each field is a Go pointer
  (an explicit zero is meaningful and kept) and whether its json tag has
  `omitempty`. Without them a built-in allowlist of pointer field names is used
  and every scalar is treated as omitempty.
* crates/berth-api/src/registry.rs: the kinds berth serves, the roots of the
  table (plus a few subresource and meta kinds listed below). Only messages
  reachable from a root are written.

Usage:
    scripts/gen-protobuf-schema.py [--k8s-pb DIR] [--k8s-openapi DIR]
        [--openapi-version v1_33] [--go-api DIR] [--go-apimachinery DIR] [--go-version TEXT]
        [--out crates/berth-api/src/protobuf/schema.rs]
"""

import argparse
import glob
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kinds decoded besides the ones in registry.rs: subresource bodies and meta kinds.
EXTRA_ROOTS = [
    ("meta.k8s.io/v1", "DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    ("v1", "Status", "io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
    ("meta.k8s.io/v1", "Status", "io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
    ("policy/v1", "Eviction", "io.k8s.api.policy.v1.Eviction"),
    ("authentication.k8s.io/v1", "TokenRequest", "io.k8s.api.authentication.v1.TokenRequest"),
    ("autoscaling/v1", "Scale", "io.k8s.api.autoscaling.v1.Scale"),
    ("v1", "Binding", "io.k8s.api.core.v1.Binding"),
]

# Message types with a custom JSON form (their Go MarshalJSON), by full name.
SPECIAL = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration": "Duration",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "FieldsV1",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "RawExtension",
    # Go `type ExtraValue []string`: JSON is the bare list.
    "io.k8s.api.authentication.v1.ExtraValue": "StringList",
    "io.k8s.api.authorization.v1.ExtraValue": "StringList",
    "io.k8s.api.certificates.v1.ExtraValue": "StringList",
}

# Go pointer fields (explicit zero kept) when no Go sources are given.
POINTER_FALLBACK = {
    "replicas", "parallelism", "completions", "backoffLimit", "backoffLimitPerIndex",
    "maxFailedIndexes", "suspend", "automountServiceAccountToken", "runAsUser",
    "runAsGroup", "fsGroup", "runAsNonRoot", "privileged", "allowPrivilegeEscalation",
    "readOnlyRootFilesystem", "terminationGracePeriodSeconds", "activeDeadlineSeconds",
    "expirationSeconds", "immutable", "optional", "defaultMode", "mode",
    "revisionHistoryLimit", "progressDeadlineSeconds", "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit", "startingDeadlineSeconds", "ttlSecondsAfterFinished",
    "enableServiceLinks", "maxSurge", "maxUnavailable", "minAvailable", "partition",
    "deletionGracePeriodSeconds", "gracePeriodSeconds", "orphanDependents", "controller",
    "blockOwnerDeletion", "preemptionPolicy", "storageClassName", "ingressClassName",
    "pathType", "shareProcessNamespace", "setHostnameAsFQDN", "hostUsers",
    "allocateLoadBalancerNodePorts", "sessionAffinityConfig", "timeZone",
}

PROST_ATTR = re.compile(
    r'#\[prost\((?P<kind>[a-z0-9_]+)(?: = "(?P<arg>[^"]*)")?'
    r'(?:, (?P<label>optional|repeated|required))?(?:, packed = "(?:true|false)")?, tag = "(?P<tag>\d+)"\)\]'
)


def find_crate(name):
    home = os.path.expanduser("~/.cargo/registry/src")
    hits = sorted(glob.glob(os.path.join(home, "*", name)))
    if not hits:
        sys.exit(f"{name} not found under {home}; run `cargo info {name.rsplit('-', 1)[0]}` first")
    return hits[-1]


def rust_path_to_name(module, type_path):
    """Resolve a prost type path used in module `module` to a full definition name."""
    parts = [p for p in type_path.replace("::core::option::Option<", "").split("::") if p]
    mod = list(module)
    while parts and parts[0] == "super":
        mod.pop()
        parts.pop(0)
    return "io.k8s." + ".".join(mod + parts)


def strip_type(ty):
    ty = re.sub(r"\s+", "", ty).replace(",>", ">")
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<"):
        if ty.startswith(wrapper) and ty.endswith(">"):
            ty = ty[len(wrapper):-1]
    return ty


def parse_prost(root):
    """{full message name: [(tag, snake, kind, arg, label, referenced message name)]}"""
    messages = {}
    for path in glob.glob(os.path.join(root, "src", "**", "mod.rs"), recursive=True):
        rel = os.path.relpath(os.path.dirname(path), os.path.join(root, "src"))
        module = rel.split(os.sep)
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r"^pub struct (\w+) \{\n(.*?)^\}", text, re.M | re.S):
            name = "io.k8s." + ".".join(module + [m.group(1)])
            fields = []
            body = m.group(2)
            for a in PROST_ATTR.finditer(body):
                rest = body[a.end():]
                d = re.match(r"\s*pub (?:r#)?(\w+):", rest)
                if not d:
                    sys.exit(f"cannot parse field after {a.group(0)} in {name}")
                kind, arg = a.group("kind"), a.group("arg")
                target = field_target(kind, arg, field_type(rest[d.end():]), module)
                fields.append((int(a.group("tag")), d.group(1), kind, arg, a.group("label"), target))
            messages[name] = fields
    return messages


def parse_openapi(root, version):
    """{definition name: {normalized snake name: json name}}"""
    names = {}
    for path in glob.glob(os.path.join(root, "src", version, "**", "*.rs"), recursive=True):
        text = open(path, encoding="utf-8").read()
        d = re.search(r"^// Generated from definition (\S+)", text, re.M)
        if not d:
            continue
        props = {}
        for m in re.finditer(r'"([^"]+)" => Field::Key_(\w+),', text):
            props[norm(m.group(2))] = m.group(1)
        names[d.group(1)] = props
    return names


def field_type(text):
    """The Rust type at the start of `text`, up to the `,` that ends the field."""
    depth = 0
    for i, c in enumerate(text):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "," and depth == 0:
            return text[:i]
    sys.exit("unterminated field type")


def norm(snake):
    return snake.replace("r#", "").replace("_", "").lower()


GO_FIELD = re.compile(r'^\s+(?:(\w+)\s+)?(\S+)\s+`json:"([^"]*)"[^`]*protobuf:"(\w+),(\d+),')


def parse_go(root, prefix, subdir_filter=None):
    """{(definition name, tag): (pointer, omitempty, json name)} from Go struct tags."""
    info = {}
    for path in glob.glob(os.path.join(root, "**", "*.go"), recursive=True):
        base = os.path.basename(path)
        if base.endswith("_test.go") or base.startswith("zz_generated") or base == "generated.pb.go":
            continue
        rel = os.path.relpath(os.path.dirname(path), root)
        if subdir_filter and not subdir_filter(rel):
            continue
        pkg = prefix + "." + rel.replace(os.sep, ".")
        struct = None
        for line in open(path, encoding="utf-8", errors="replace"):
            s = re.match(r"^type (\w+) struct \{", line)
            if s:
                struct = s.group(1)
                continue
            if line.startswith("}"):
                struct = None
                continue
            f = GO_FIELD.match(line) if struct else None
            if f:
                ty = f.group(2)
                opts = f.group(3).split(",")
                info[(pkg + "." + struct, int(f.group(5)))] = (
                    ty.startswith("*"), "omitempty" in opts[1:], opts[0])
    return info


def parse_registry():
    text = open(os.path.join(REPO, "crates/berth-api/src/registry.rs"), encoding="utf-8").read()
    roots = []

    def def_name(group, version, kind):
        short = group.split(".")[0] if group else "core"
        return f"io.k8s.api.{short}.{version}.{kind}"

    for m in re.finditer(r'\br\("([^"]*)", "([^"]*)", "[^"]*", "[^"]*", "([^"]*)"', text):
        group, version, kind = m.groups()
        api_version = f"{group}/{version}" if group else version
        roots.append((api_version, kind, def_name(group, version, kind)))
    for m in re.finditer(r'\bsub\("[^"]*", "([^"]*)", "([^"]*)", "([^"]+)"', text):
        group, version, kind = m.groups()
        if not version:
            group, version = "", "v1"
        api_version = f"{group}/{version}" if group else version
        roots.append((api_version, kind, def_name(group, version, kind)))
    return roots


def lower_camel(snake):
    head, *tail = snake.split("_")
    return head + "".join(t[:1].upper() + t[1:] for t in tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k8s-pb", default=None)
    ap.add_argument("--k8s-openapi", default=None)
    ap.add_argument("--openapi-version", default="v1_33")
    ap.add_argument("--go-api", default=None, help="checkout of k8s.io/api")
    ap.add_argument("--go-apimachinery", default=None, help="checkout of k8s.io/apimachinery")
    ap.add_argument("--go-version", default="",
                    help="what the Go checkouts are, for the header (e.g. kubernetes/api@abc123)")
    ap.add_argument("--out", default=os.path.join(REPO, "crates/berth-api/src/protobuf/schema.rs"))
    args = ap.parse_args()

    pb_root = args.k8s_pb or find_crate("k8s-pb-*")
    oa_root = args.k8s_openapi or find_crate("k8s-openapi-*")
    pb_version = os.path.basename(pb_root.rstrip("/")).removeprefix("k8s-pb-")
    oa_version = os.path.basename(oa_root.rstrip("/")).removeprefix("k8s-openapi-")

    messages = parse_prost(pb_root)
    json_names = parse_openapi(oa_root, args.openapi_version)
    go = {}
    if args.go_api:
        go.update(parse_go(args.go_api, "io.k8s.api"))
    if args.go_apimachinery:
        go.update(parse_go(os.path.join(args.go_apimachinery, "pkg"), "io.k8s.apimachinery.pkg",
                           lambda rel: rel.startswith(("apis/meta/v1", "runtime", "util/intstr",
                                                       "api/resource"))))

    # prost renames types (ISCSIVolumeSource -> IscsiVolumeSource, PodIP -> PodIp):
    # use the OpenAPI/Go spelling, matched case-insensitively within a package.
    canonical = {n.lower(): n for n in sorted({k[0] for k in go}) + list(json_names)}

    def rename(n):
        return canonical.get(n.lower(), n) if n else n

    messages = {rename(n): [(t, sn, k, a, lab, rename(tg)) for (t, sn, k, a, lab, tg) in fs]
                for n, fs in messages.items()}

    roots = [r for r in parse_registry() + EXTRA_ROOTS if r[2] in messages]
    missing = [r for r in parse_registry() + EXTRA_ROOTS if r[2] not in messages]
    for r in missing:
        print(f"note: no protobuf message for {r[0]} {r[1]} ({r[2]})", file=sys.stderr)

    # Reachable messages (special types are leaves).
    reach, todo = set(), [r[2] for r in roots]
    while todo:
        name = todo.pop()
        if name in reach or name in SPECIAL:
            continue
        reach.add(name)
        for (_tag, _snake, _kind, _arg, _label, target) in messages[name]:
            if target:
                todo.append(target)
    order = sorted(reach)
    index = {n: i for i, n in enumerate(order)}

    no_go = 0
    out = []
    for name in order:
        props = json_names.get(name, {})
        rows = []
        for (tag, snake, kind, arg, label, target) in sorted(messages[name]):
            json = props.get(norm(snake))
            g = go.get((name, tag))
            if g:
                inline = g[2] == ""
            else:
                # A Go embedded field is named after its type.
                inline = (json is None and kind == "message"
                          and snake.replace("_", "") == target.rsplit(".", 1)[1].lower())
            if json is None and not inline:
                json = g[2] if g and g[2] else lower_camel(snake)
            flags = []
            if label == "repeated":
                flags.append("REPEATED")
            if inline:
                flags.append("INLINE")
            if g:
                pointer, omitempty = g[0], g[1]
            else:
                no_go += 1
                if go:
                    print(f"note: no Go tag for {name} {tag} {json}", file=sys.stderr)
                pointer, omitempty = (json in POINTER_FALLBACK), True
            if pointer:
                flags.append("POINTER")
            if omitempty:
                flags.append("OMITEMPTY")
            rows.append(f'f({tag}, "{"" if inline else json}", {rust_kind(kind, arg, target, index)}, '
                        f'{"|".join(flags) or "0"})')
        out.append((name, rows))

    kinds = sorted({(av, k, index[d]) for (av, k, d) in roots})

    src = []
    src.append(f"//! Protobuf field table, generated from k8s-pb {pb_version} (JSON names from "
               f"k8s-openapi {oa_version} {args.openapi_version}) by scripts/gen-protobuf-schema.py.")
    src.append("//! Do not edit; rerun the script. Pointer/omitempty flags come from "
               + (f"the Go sources of k8s.io/api and k8s.io/apimachinery{' (' + args.go_version + ')' if args.go_version else ''}."
                  if go else "the script's built-in allowlist."))
    src.append("")
    src.append("use super::types::{f, Kind::*, Message, INLINE, OMITEMPTY, POINTER, REPEATED};")
    src.append("")
    src.append("/// Every message reachable from a served kind, sorted by name.")
    src.append("#[rustfmt::skip]")
    src.append("pub(crate) static MESSAGES: &[Message] = &[")
    for i, (name, rows) in enumerate(out):
        src.append(f'    // {i}')
        src.append(f'    Message {{ name: "{name}", fields: &[')
        for row in rows:
            src.append(f"        {row},")
        src.append("    ] },")
    src.append("];")
    src.append("")
    src.append("/// Top-level kinds: (apiVersion, kind, index into MESSAGES), sorted.")
    src.append("#[rustfmt::skip]")
    src.append("pub(crate) static KINDS: &[(&str, &str, u16)] = &[")
    for (av, k, i) in kinds:
        src.append(f'    ("{av}", "{k}", {i}),')
    src.append("];")
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(src) + "\n")
    print(f"wrote {args.out}: {len(order)} messages, {len(kinds)} kinds, "
          f"{no_go} fields without Go tag info", file=sys.stderr)


def field_target(kind, arg, ty, module):
    """Full name of the message a field refers to (value of a map), if any."""
    if kind == "message":
        return rust_path_to_name(module, strip_type(ty))
    if kind == "btree_map" and arg.endswith(", message"):
        t = re.sub(r"\s+", "", ty).replace(",>", ">")
        v = re.match(r".*BTreeMap<::prost::alloc::string::String,(.*)>$", t)
        if not v:
            sys.exit(f"cannot parse map type {ty}")
        return rust_path_to_name(module, v.group(1))
    return None


SCALARS = {"string": "String", "bytes": "Bytes", "bool": "Bool", "int32": "Int32",
           "int64": "Int64", "double": "Double"}


def rust_kind(kind, arg, target, index):
    if kind == "message":
        return SPECIAL.get(target) or f"Message({index[target]})"
    if kind == "btree_map":
        key, value = [s.strip() for s in arg.split(",")]
        if key != "string":
            sys.exit(f"unsupported map key {key}")
        if value == "message":
            inner = SPECIAL.get(target) or f"Message({index[target]})"
        else:
            inner = SCALARS[value]
        return f"Map(&{inner})"
    if kind in SCALARS:
        return SCALARS[kind]
    sys.exit(f"unsupported prost kind {kind}")


if __name__ == "__main__":
    main()
