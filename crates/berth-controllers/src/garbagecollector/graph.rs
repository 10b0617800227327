//! The owner/dependent graph of every object the garbage collector watches, and what each
//! change of it asks the collector to look at (garbagecollector's GraphBuilder).

use std::collections::{HashMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

/// The finalizer asking the collector to delete dependents before the owner.
pub const FOREGROUND: &str = "foregroundDeletion";
/// The finalizer asking the collector to orphan dependents before the owner goes.
pub const ORPHAN: &str = "orphan";

/// Where an object is: enough to GET, patch or delete it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    /// The namespace of the object; for an owner only known from a reference, the
    /// namespace of its dependent (used only if the owner's kind is namespaced).
    pub namespace: Option<String>,
    pub name: String,
    pub uid: String,
}

/// What the collector should do next.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    /// Decide whether the object should be deleted (attemptToDelete).
    Delete(ObjectId),
    /// Remove the owner's references from its dependents, then the `orphan` finalizer.
    Orphan(ObjectId),
}

/// One object as the graph sees it.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: ObjectId,
    pub owners: Vec<OwnerReference>,
    /// uids of the objects that name this one as an owner.
    pub dependents: HashSet<String>,
    /// Only known from a dependent's reference, not observed yet.
    pub virtual_: bool,
    pub being_deleted: bool,
    /// Being deleted with the `foregroundDeletion` finalizer.
    pub deleting_dependents: bool,
}

/// An observed object (from a watch event).
#[derive(Clone, Debug)]
pub struct Observed {
    pub id: ObjectId,
    pub owners: Vec<OwnerReference>,
    pub being_deleted: bool,
    pub finalizers: Vec<String>,
}

/// The graph, keyed by uid.
#[derive(Default, Debug)]
pub struct Graph {
    nodes: HashMap<String, Node>,
}

impl Graph {
    pub fn get(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The dependents of `uid` (cloned, for use outside the lock).
    pub fn dependents(&self, uid: &str) -> Vec<Node> {
        self.nodes
            .get(uid)
            .map(|n| {
                n.dependents
                    .iter()
                    .filter_map(|d| self.nodes.get(d).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An object was added or changed.
    pub fn upsert(&mut self, obj: Observed) -> Vec<Work> {
        let mut work = Vec::new();
        let uid = obj.id.uid.clone();
        let deleting_dependents =
            obj.being_deleted && obj.finalizers.iter().any(|f| f == FOREGROUND);
        let old_owners = match self.nodes.get(&uid) {
            Some(n) if !n.virtual_ => n.owners.clone(),
            _ => vec![],
        };
        let node = self.nodes.entry(uid.clone()).or_insert_with(|| Node {
            id: obj.id.clone(),
            owners: vec![],
            dependents: HashSet::new(),
            virtual_: true,
            being_deleted: false,
            deleting_dependents: false,
        });
        node.id = obj.id.clone();
        node.virtual_ = false;
        node.owners = obj.owners.clone();
        node.being_deleted = obj.being_deleted;
        node.deleting_dependents = deleting_dependents;
        let dependents: Vec<String> = node.dependents.iter().cloned().collect();

        // owner references added and removed
        let old: HashSet<&str> = old_owners.iter().map(|r| r.uid.as_str()).collect();
        let new: HashSet<&str> = obj.owners.iter().map(|r| r.uid.as_str()).collect();
        for r in &obj.owners {
            if old.contains(r.uid.as_str()) {
                continue;
            }
            match self.nodes.get_mut(&r.uid) {
                Some(owner) => {
                    owner.dependents.insert(uid.clone());
                    if owner.deleting_dependents {
                        work.push(Work::Delete(obj.id.clone()));
                    }
                }
                None => {
                    // an owner not observed (yet): check that it exists
                    let id = ObjectId {
                        api_version: r.api_version.clone(),
                        kind: r.kind.clone(),
                        namespace: obj.id.namespace.clone(),
                        name: r.name.clone(),
                        uid: r.uid.clone(),
                    };
                    self.nodes.insert(
                        r.uid.clone(),
                        Node {
                            id: id.clone(),
                            owners: vec![],
                            dependents: HashSet::from([uid.clone()]),
                            virtual_: true,
                            being_deleted: false,
                            deleting_dependents: false,
                        },
                    );
                    work.push(Work::Delete(id));
                }
            }
        }
        for r in &old_owners {
            if new.contains(r.uid.as_str()) {
                continue;
            }
            self.drop_dependent(&r.uid, &uid, &mut work);
        }
        // a changed blockOwnerDeletion may unblock an owner waiting in foreground
        for r in &obj.owners {
            if let Some(owner) = self.nodes.get(&r.uid) {
                if owner.deleting_dependents && !owner.virtual_ {
                    work.push(Work::Delete(owner.id.clone()));
                }
            }
        }

        if obj.being_deleted && obj.finalizers.iter().any(|f| f == ORPHAN) {
            work.push(Work::Orphan(obj.id.clone()));
        }
        if deleting_dependents {
            for d in dependents {
                if let Some(dep) = self.nodes.get(&d) {
                    work.push(Work::Delete(dep.id.clone()));
                }
            }
            work.push(Work::Delete(obj.id.clone()));
        }
        work
    }

    /// An object is gone (observed deletion, or found absent when verified).
    pub fn remove(&mut self, uid: &str) -> Vec<Work> {
        let mut work = Vec::new();
        let Some(node) = self.nodes.remove(uid) else {
            return work;
        };
        for r in &node.owners {
            self.drop_dependent(&r.uid, uid, &mut work);
        }
        // every dependent lost an owner: see whether it still has one
        for d in &node.dependents {
            if let Some(dep) = self.nodes.get(d) {
                work.push(Work::Delete(dep.id.clone()));
            }
        }
        work
    }

    /// Removes `dependent` from `owner`'s dependents; a virtual owner with none left goes.
    fn drop_dependent(&mut self, owner: &str, dependent: &str, work: &mut Vec<Work>) {
        let Some(o) = self.nodes.get_mut(owner) else {
            return;
        };
        o.dependents.remove(dependent);
        if o.virtual_ && o.dependents.is_empty() {
            self.nodes.remove(owner);
        } else if o.deleting_dependents {
            // one blocker fewer: the owner may be done
            work.push(Work::Delete(o.id.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: &str, name: &str, uid: &str) -> ObjectId {
        ObjectId {
            api_version: if kind == "Pod" { "v1" } else { "apps/v1" }.into(),
            kind: kind.into(),
            namespace: Some("default".into()),
            name: name.into(),
            uid: uid.into(),
        }
    }

    fn owner_ref(kind: &str, name: &str, uid: &str) -> OwnerReference {
        OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: name.into(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    fn observed(id: ObjectId, owners: Vec<OwnerReference>) -> Observed {
        Observed {
            id,
            owners,
            being_deleted: false,
            finalizers: vec![],
        }
    }

    #[test]
    fn unseen_owner_becomes_a_virtual_node_to_verify() {
        let mut g = Graph::default();
        let w = g.upsert(observed(
            id("Pod", "p", "u-p"),
            vec![owner_ref("ReplicaSet", "rs", "u-rs")],
        ));
        assert_eq!(w, vec![Work::Delete(id("ReplicaSet", "rs", "u-rs"))]);
        assert!(g.get("u-rs").is_some_and(|n| n.virtual_));
        // observing the owner keeps its dependents
        let w = g.upsert(observed(id("ReplicaSet", "rs", "u-rs"), vec![]));
        assert!(w.is_empty());
        assert_eq!(g.dependents("u-rs").len(), 1);
    }

    #[test]
    fn owner_removed_enqueues_dependents() {
        let mut g = Graph::default();
        g.upsert(observed(id("ReplicaSet", "rs", "u-rs"), vec![]));
        g.upsert(observed(
            id("Pod", "p", "u-p"),
            vec![owner_ref("ReplicaSet", "rs", "u-rs")],
        ));
        assert_eq!(g.remove("u-rs"), vec![Work::Delete(id("Pod", "p", "u-p"))]);
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn foreground_and_orphan_transitions() {
        let mut g = Graph::default();
        g.upsert(observed(id("ReplicaSet", "rs", "u-rs"), vec![]));
        g.upsert(observed(
            id("Pod", "p", "u-p"),
            vec![owner_ref("ReplicaSet", "rs", "u-rs")],
        ));
        let mut rs = observed(id("ReplicaSet", "rs", "u-rs"), vec![]);
        rs.being_deleted = true;
        rs.finalizers = vec![FOREGROUND.into()];
        let w = g.upsert(rs.clone());
        assert!(w.contains(&Work::Delete(id("Pod", "p", "u-p"))));
        assert!(w.contains(&Work::Delete(id("ReplicaSet", "rs", "u-rs"))));
        // the dependent going away asks the owner to look again
        assert_eq!(
            g.remove("u-p"),
            vec![Work::Delete(id("ReplicaSet", "rs", "u-rs"))]
        );
        rs.finalizers = vec![ORPHAN.into()];
        assert_eq!(
            g.upsert(rs),
            vec![Work::Orphan(id("ReplicaSet", "rs", "u-rs"))]
        );
    }

    #[test]
    fn released_dependent_leaves_virtual_owner_behind_nothing() {
        let mut g = Graph::default();
        g.upsert(observed(
            id("Pod", "p", "u-p"),
            vec![owner_ref("ReplicaSet", "rs", "u-rs")],
        ));
        g.upsert(observed(id("Pod", "p", "u-p"), vec![]));
        assert!(g.get("u-rs").is_none());
    }
}
