//! Field management for server-side apply: FieldsV1 sets, ownership by manager, conflicts,
//! and the pruning of fields a manager stopped applying (structured-merge-diff's job).
//!
//! A field set is a tree keyed as in `metadata.managedFields[].fieldsV1`: `f:<field>` for
//! struct and map fields, `k:{"name":"c"}` for items of associative lists, `v:<json>` for
//! items of set lists, and `.` marking that a list item itself is owned. List and map
//! semantics come from the OpenAPI schema's `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys` and patch merge keys; lists without them are atomic.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::openapi;

/// A set of field paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// Whether this node itself is owned (`.`, or a leaf).
    pub own: bool,
    pub children: BTreeMap<String, FieldSet>,
}

/// How a list is merged.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ListKind {
    Atomic,
    Set,
    Map(Vec<String>),
}

/// Schema context while walking an object: the property schema (resolved).
#[derive(Clone, Copy)]
struct Schema(Option<&'static Value>);

impl Schema {
    fn definition(name: &str) -> Schema {
        Schema(openapi::definition(name))
    }
    /// The schema of field `f` (struct property or map value).
    fn field(&self, f: &str) -> Schema {
        let Some(s) = self.0.map(openapi::resolve) else {
            return Schema(None);
        };
        if let Some(p) = s.get("properties").and_then(|p| p.get(f)) {
            return Schema(Some(p));
        }
        match s.get("additionalProperties") {
            Some(ap) if ap.is_object() => Schema(Some(ap)),
            _ => Schema(None),
        }
    }
    fn items(&self) -> Schema {
        Schema(
            self.0
                .and_then(|s| s.get("items"))
                .or_else(|| self.0.map(openapi::resolve).and_then(|s| s.get("items"))),
        )
    }
    fn ext(&self, k: &str) -> Option<&'static Value> {
        let s = self.0?;
        s.get(k).or_else(|| openapi::resolve(s).get(k))
    }
    fn list_kind(&self) -> ListKind {
        match self.ext("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("map") => {
                let keys = self
                    .ext("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|k| k.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                ListKind::Map(keys)
            }
            Some("set") => ListKind::Set,
            Some(_) => ListKind::Atomic,
            None => {
                let strategy = self
                    .ext("x-kubernetes-patch-strategy")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match self
                    .ext("x-kubernetes-patch-merge-key")
                    .and_then(Value::as_str)
                {
                    Some(k) if strategy.contains("merge") => ListKind::Map(vec![k.to_string()]),
                    _ if strategy.contains("merge") => ListKind::Set,
                    _ => ListKind::Atomic,
                }
            }
        }
    }
    fn atomic_map(&self) -> bool {
        self.ext("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic")
    }
    /// A free-form object (`x-kubernetes-preserve-unknown-fields`, RawExtension) is a leaf.
    fn opaque(&self) -> bool {
        self.ext("x-kubernetes-preserve-unknown-fields").is_some()
    }
}

/// The key of a list item in an associative list: `k:{"name":"c"}` (keys sorted).
fn item_key(item: &Value, keys: &[String]) -> Option<String> {
    let mut m = BTreeMap::new();
    for k in keys {
        m.insert(k.clone(), item.get(k)?.clone());
    }
    Some(format!("k:{}", serde_json::to_string(&m).ok()?))
}

fn set_key(item: &Value) -> String {
    format!("v:{}", serde_json::to_string(item).unwrap_or_default())
}

/// Fields set in `obj` (of the kind whose OpenAPI definition is `definition`), as a
/// manager applying or writing `obj` would own them. Server-owned metadata, `apiVersion`,
/// `kind` and `status` (unless `with_status`) are not tracked.
pub fn fields_of(obj: &Value, definition: &str, with_status: bool) -> FieldSet {
    let schema = Schema::definition(definition);
    let mut set = FieldSet::default();
    let Some(o) = obj.as_object() else { return set };
    for (k, v) in o {
        match k.as_str() {
            "apiVersion" | "kind" => {}
            "status" if !with_status => {}
            "metadata" => {
                let mut m = FieldSet::default();
                let ms = schema.field("metadata");
                for mk in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if let Some(mv) = v.get(mk) {
                        m.children.insert(format!("f:{mk}"), walk(mv, ms.field(mk)));
                    }
                }
                if !m.children.is_empty() {
                    set.children.insert("f:metadata".into(), m);
                }
            }
            _ => {
                set.children
                    .insert(format!("f:{k}"), walk(v, schema.field(k)));
            }
        }
    }
    set
}

fn walk(v: &Value, schema: Schema) -> FieldSet {
    let leaf = FieldSet {
        own: true,
        children: BTreeMap::new(),
    };
    match v {
        Value::Object(o) if !o.is_empty() && !schema.atomic_map() && !schema.opaque() => {
            let mut s = FieldSet::default();
            for (k, cv) in o {
                s.children
                    .insert(format!("f:{k}"), walk(cv, schema.field(k)));
            }
            s
        }
        Value::Array(items) if !items.is_empty() => match schema.list_kind() {
            ListKind::Atomic => leaf,
            ListKind::Set => {
                let mut s = FieldSet::default();
                for it in items {
                    s.children.insert(
                        set_key(it),
                        FieldSet {
                            own: true,
                            children: BTreeMap::new(),
                        },
                    );
                }
                s
            }
            ListKind::Map(keys) => {
                let mut s = FieldSet::default();
                let is = schema.items();
                for it in items {
                    let Some(key) = item_key(it, &keys) else {
                        return leaf;
                    };
                    let mut node = walk(it, is);
                    node.own = true;
                    s.children.insert(key, node);
                }
                s
            }
        },
        _ => leaf,
    }
}

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        !self.own && self.children.is_empty()
    }

    /// The FieldsV1 JSON form.
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        if self.own && !self.children.is_empty() {
            m.insert(".".into(), json!({}));
        }
        for (k, c) in &self.children {
            m.insert(k.clone(), c.to_fields_v1());
        }
        Value::Object(m)
    }

    /// Parses FieldsV1 JSON.
    pub fn from_fields_v1(v: &Value) -> FieldSet {
        let mut s = FieldSet::default();
        match v.as_object() {
            Some(o) if o.is_empty() => s.own = true,
            Some(o) => {
                for (k, c) in o {
                    if k == "." {
                        s.own = true;
                    } else {
                        s.children.insert(k.clone(), FieldSet::from_fields_v1(c));
                    }
                }
            }
            None => s.own = true,
        }
        s
    }

    /// Every owned path (leaves and owned inner nodes), as key sequences.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if self.own && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (k, c) in &self.children {
            prefix.push(k.clone());
            c.collect(prefix, out);
            prefix.pop();
        }
    }

    pub fn contains(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => self.own,
            Some((k, rest)) => self.children.get(k).is_some_and(|c| c.contains(rest)),
        }
    }

    pub fn insert(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.own = true,
            Some((k, rest)) => self.children.entry(k.clone()).or_default().insert(rest),
        }
    }

    /// Removes a path (and, for an owned inner node, nothing below it: children stay owned).
    pub fn remove(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.own = false,
            Some((k, rest)) => {
                if let Some(c) = self.children.get_mut(k) {
                    c.remove(rest);
                    if c.is_empty() {
                        self.children.remove(k);
                    }
                }
            }
        }
    }
}

/// The value at a field path in an object, if present.
pub fn value_at<'v>(obj: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut cur = obj;
    for k in path {
        cur = step(cur, k)?;
    }
    Some(cur)
}

fn step<'v>(cur: &'v Value, k: &str) -> Option<&'v Value> {
    if let Some(f) = k.strip_prefix("f:") {
        return cur.get(f);
    }
    if let Some(key) = k.strip_prefix("k:") {
        let want: Map<String, Value> = serde_json::from_str(key).ok()?;
        return cur
            .as_array()?
            .iter()
            .find(|it| want.iter().all(|(wk, wv)| it.get(wk) == Some(wv)));
    }
    if let Some(v) = k.strip_prefix("v:") {
        let want: Value = serde_json::from_str(v).ok()?;
        return cur.as_array()?.iter().find(|it| **it == want);
    }
    None
}

/// Removes the field at `path` from `obj` (a list item for `k:`/`v:` keys).
pub fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for k in parent {
        let next = if let Some(f) = k.strip_prefix("f:") {
            cur.get_mut(f)
        } else {
            let idx = index_of(cur, k);
            match idx {
                Some(i) => cur.get_mut(i),
                None => None,
            }
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(o) = cur.as_object_mut() {
            o.remove(f);
        }
    } else if let Some(i) = index_of(cur, last) {
        if let Some(a) = cur.as_array_mut() {
            a.remove(i);
        }
    }
}

fn index_of(cur: &Value, k: &str) -> Option<usize> {
    let arr = cur.as_array()?;
    if let Some(key) = k.strip_prefix("k:") {
        let want: Map<String, Value> = serde_json::from_str(key).ok()?;
        return arr
            .iter()
            .position(|it| want.iter().all(|(wk, wv)| it.get(wk) == Some(wv)));
    }
    if let Some(v) = k.strip_prefix("v:") {
        let want: Value = serde_json::from_str(v).ok()?;
        return arr.iter().position(|it| *it == want);
    }
    None
}

/// A path as upstream prints it in conflict messages: `.spec.replicas`,
/// `.spec.template.spec.containers[name="c"].image`.
pub fn path_string(path: &[String]) -> String {
    let mut s = String::new();
    for k in path {
        if let Some(f) = k.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(key) = k.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(key).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(a, b)| format!("{a}={b}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = k.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// One entry of `metadata.managedFields`.
#[derive(Clone, Debug)]
pub struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: String,
    pub fields: FieldSet,
}

impl Entry {
    fn from_value(v: &Value) -> Option<Entry> {
        Some(Entry {
            manager: v.get("manager")?.as_str()?.to_string(),
            operation: v
                .get("operation")
                .and_then(Value::as_str)
                .unwrap_or("Update")
                .to_string(),
            api_version: v
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            time: v
                .get("time")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            subresource: v
                .get("subresource")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            fields: v
                .get("fieldsV1")
                .map(FieldSet::from_fields_v1)
                .unwrap_or_default(),
        })
    }

    fn to_value(&self) -> Value {
        let mut v = json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": self.fields.to_fields_v1(),
        });
        if !self.subresource.is_empty() {
            v["subresource"] = json!(self.subresource);
        }
        v
    }
}

/// The managedFields entries of an object.
pub fn entries(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Entry::from_value).collect())
        .unwrap_or_default()
}

/// Writes entries back into `obj` (dropping empty ones).
pub fn set_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(Entry::to_value)
        .collect();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Who wrote what: the identity of a write.
pub struct Writer<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub subresource: &'a str,
    pub time: &'a str,
}

/// Records a non-apply write (create, update, patch) from `old` (None on create) to `new`:
/// the writer's Update entry gains the fields it changed, other managers lose them, and
/// fields that disappeared are owned by nobody. `new` gets the resulting managedFields.
pub fn record_update(old: Option<&Value>, new: &mut Value, definition: &str, w: &Writer) {
    let status = w.subresource == "status";
    let mut list = old.map(entries).unwrap_or_default();
    let new_set = fields_of(new, definition, status);
    let old_set = old
        .map(|o| fields_of(o, definition, status))
        .unwrap_or_default();
    let mut changed = Vec::new();
    for p in new_set.paths() {
        let differs = match old {
            None => true,
            Some(o) => !old_set.contains(&p) || value_at(o, &p) != value_at(new, &p),
        };
        if differs {
            changed.push(p);
        }
    }
    let removed: Vec<Vec<String>> = old_set
        .paths()
        .into_iter()
        .filter(|p| !new_set.contains(p))
        .collect();
    if changed.is_empty() && removed.is_empty() && old.is_some() {
        set_entries(new, &list);
        return;
    }
    for e in list.iter_mut() {
        let own =
            e.manager == w.manager && e.operation == "Update" && e.subresource == w.subresource;
        // others lose what this write changed; everybody loses what it removed
        for p in removed.iter().chain(changed.iter().filter(|_| !own)) {
            e.fields.remove(p);
        }
    }
    let idx = list.iter().position(|e| {
        e.manager == w.manager && e.operation == "Update" && e.subresource == w.subresource
    });
    let entry = match idx {
        Some(i) => &mut list[i],
        None => {
            list.push(Entry {
                manager: w.manager.to_string(),
                operation: "Update".into(),
                api_version: w.api_version.to_string(),
                time: w.time.to_string(),
                subresource: w.subresource.to_string(),
                fields: FieldSet::default(),
            });
            let n = list.len() - 1;
            &mut list[n]
        }
    };
    for p in &changed {
        entry.fields.insert(p);
    }
    entry.time = w.time.to_string();
    entry.api_version = w.api_version.to_string();
    set_entries(new, &list);
}

/// A field another manager owns that an apply would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub path: String,
}

/// Why an apply was refused.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    let n = conflicts.len();
    if n == 1 {
        let c = &conflicts[0];
        return format!(
            "Apply failed with 1 conflict: conflict with \"{}\" using {}: {}",
            c.manager, c.api_version, c.path
        );
    }
    let mut by: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for c in conflicts {
        by.entry((c.manager.clone(), c.api_version.clone()))
            .or_default()
            .push(c.path.clone());
    }
    let mut s = format!("Apply failed with {n} conflicts:");
    for ((m, av), paths) in by {
        s.push_str(&format!(" conflicts with \"{m}\" using {av}:"));
        for p in paths {
            s.push_str(&format!("\n- {p}"));
        }
    }
    s
}

/// Server-side apply of `config` by `w.manager` onto `live` (None if the object does not
/// exist yet). Returns the new object with managedFields set, or the conflicts when
/// `force` is false and other managers own fields whose value would change.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    definition: &str,
    w: &Writer,
    force: bool,
) -> Result<Value, Vec<Conflict>> {
    let status = w.subresource == "status";
    let cfg_set = fields_of(config, definition, status);
    let mut list = live.map(entries).unwrap_or_default();
    let base = live.cloned().unwrap_or_else(|| json!({}));
    // conflicts with other managers whose fields the config would change
    let mut conflicts = Vec::new();
    for p in cfg_set.paths() {
        let differs = value_at(&base, &p) != value_at(config, &p);
        if !differs {
            continue;
        }
        for e in &list {
            if (e.manager == w.manager && e.operation == "Apply") || e.subresource != w.subresource
            {
                continue;
            }
            if e.fields.contains(&p) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    api_version: e.api_version.clone(),
                    path: path_string(&p),
                });
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    // merge the config into the live object
    let mut cfg = config.clone();
    if let Some(m) = cfg.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
        m.remove("resourceVersion");
    }
    let mut merged = crate::smp::strategic_merge_patch(&base, &strip_nulls(&cfg), definition)
        .unwrap_or_else(|_| cfg.clone());
    // fields this manager applied before but not now, that nobody else owns, go away
    let old_apply = list
        .iter()
        .find(|e| {
            e.manager == w.manager && e.operation == "Apply" && e.subresource == w.subresource
        })
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for p in old_apply.paths() {
        if cfg_set.contains(&p) {
            continue;
        }
        let others = list
            .iter()
            .any(|e| !(e.manager == w.manager && e.operation == "Apply") && e.fields.contains(&p));
        if !others {
            remove_at(&mut merged, &p);
        }
    }
    // ownership: forced fields move to this manager
    for e in list.iter_mut() {
        if e.manager == w.manager && e.operation == "Apply" && e.subresource == w.subresource {
            continue;
        }
        if e.subresource != w.subresource {
            continue;
        }
        for p in cfg_set.paths() {
            if value_at(&base, &p) != value_at(config, &p) {
                e.fields.remove(&p);
            }
        }
    }
    match list.iter_mut().find(|e| {
        e.manager == w.manager && e.operation == "Apply" && e.subresource == w.subresource
    }) {
        Some(e) => {
            e.fields = cfg_set;
            e.time = w.time.to_string();
            e.api_version = w.api_version.to_string();
        }
        None => list.push(Entry {
            manager: w.manager.to_string(),
            operation: "Apply".into(),
            api_version: w.api_version.to_string(),
            time: w.time.to_string(),
            subresource: w.subresource.to_string(),
            fields: cfg_set,
        }),
    }
    if merged.get("metadata").is_none() {
        merged["metadata"] = json!({});
    }
    set_entries(&mut merged, &list);
    Ok(merged)
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// The field manager named by a User-Agent (`kubectl/v1.33.0 (linux/amd64) …` → `kubectl`).
pub fn manager_from_user_agent(ua: &str) -> String {
    let first = ua.split('/').next().unwrap_or("").trim();
    if first.is_empty() {
        "unknown".into()
    } else {
        first.chars().take(128).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "io.k8s.api.apps.v1.Deployment";

    fn w<'a>(m: &'a str) -> Writer<'a> {
        Writer {
            manager: m,
            api_version: "apps/v1",
            subresource: "",
            time: "2026-01-01T00:00:00Z",
        }
    }

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn fields_use_list_map_keys() {
        let f = fields_of(&deploy(1, "x"), DEPLOY, false).to_fields_v1();
        let c = &f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"];
        assert_eq!(c["."], json!({}));
        assert_eq!(c["f:image"], json!({}));
        assert_eq!(f["f:metadata"]["f:labels"]["f:app"], json!({}));
    }

    #[test]
    fn apply_create_then_conflict_then_force() {
        let a = apply(None, &deploy(2, "x"), DEPLOY, &w("alice"), false).expect("first apply");
        assert_eq!(entries(&a).len(), 1);
        // bob changes replicas: conflict with alice
        let err = apply(Some(&a), &deploy(5, "x"), DEPLOY, &w("bob"), false).expect_err("conflict");
        assert_eq!(err.len(), 1);
        assert_eq!(
            conflict_message(&err),
            "Apply failed with 1 conflict: conflict with \"alice\" using apps/v1: .spec.replicas"
        );
        // same value is no conflict (shared ownership)
        apply(Some(&a), &deploy(2, "x"), DEPLOY, &w("bob"), false).expect("same values");
        // force moves ownership
        let b = apply(Some(&a), &deploy(5, "x"), DEPLOY, &w("bob"), true).expect("forced");
        assert_eq!(b["spec"]["replicas"], 5);
        let alice = entries(&b)
            .into_iter()
            .find(|e| e.manager == "alice")
            .expect("alice");
        assert!(!alice
            .fields
            .contains(&["f:spec".to_string(), "f:replicas".to_string()]));
    }

    #[test]
    fn apply_prunes_fields_the_manager_dropped() {
        let mut with_label = deploy(1, "x");
        with_label["metadata"]["labels"]["tier"] = json!("front");
        let a = apply(None, &with_label, DEPLOY, &w("alice"), false).expect("apply");
        assert_eq!(a["metadata"]["labels"]["tier"], "front");
        let b = apply(Some(&a), &deploy(1, "x"), DEPLOY, &w("alice"), false).expect("reapply");
        assert!(b["metadata"]["labels"].get("tier").is_none(), "{b}");
        assert_eq!(b["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn updates_take_ownership_of_changed_fields() {
        let mut obj = deploy(1, "x");
        record_update(None, &mut obj, DEPLOY, &w("kubectl-create"));
        let mut scaled = obj.clone();
        scaled["spec"]["replicas"] = json!(3);
        record_update(Some(&obj), &mut scaled, DEPLOY, &w("kubectl-scale"));
        let e = entries(&scaled);
        let create = e
            .iter()
            .find(|e| e.manager == "kubectl-create")
            .expect("create");
        let scale = e
            .iter()
            .find(|e| e.manager == "kubectl-scale")
            .expect("scale");
        let path = ["f:spec".to_string(), "f:replicas".to_string()];
        assert!(!create.fields.contains(&path));
        assert!(scale.fields.contains(&path));
        // an apply that changes replicas now conflicts with kubectl-scale
        let err = apply(Some(&scaled), &deploy(1, "x"), DEPLOY, &w("alice"), false)
            .expect_err("conflict");
        assert_eq!(err[0].manager, "kubectl-scale");
    }

    #[test]
    fn user_agent_manager() {
        assert_eq!(
            manager_from_user_agent("kubectl/v1.33.0 (linux/amd64) kubernetes/abc"),
            "kubectl"
        );
        assert_eq!(manager_from_user_agent(""), "unknown");
    }
}
