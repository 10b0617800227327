//! Completion indexes of Indexed Jobs: the pod annotation and the compressed interval
//! text of `status.completedIndexes` ("1,3-5,7"), as pkg/controller/job/indexed_job_utils.go.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// Annotation (and, since v1.28, label) carrying a pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// The completion index of a pod from its annotations; `None` when absent or invalid.
pub fn completion_index(annotations: Option<&BTreeMap<String, String>>) -> Option<i32> {
    let v = annotations?.get(COMPLETION_INDEX)?;
    let ix: i32 = v.parse().ok()?;
    (ix >= 0 && v == &ix.to_string()).then_some(ix)
}

/// Parses `status.completedIndexes`, ignoring malformed parts and indexes ≥ `completions`.
pub fn parse(text: Option<&str>, completions: i32) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    for part in text
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
    {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
            None => (part.parse::<i32>(), part.parse::<i32>()),
        };
        if let (Ok(lo), Ok(hi)) = (lo, hi) {
            for ix in lo.max(0)..=hi.min(completions - 1) {
                out.insert(ix);
            }
        }
    }
    out
}

/// Formats indexes as ordered intervals: `{1,3,4,5,7}` is "1,3-5,7".
pub fn format(indexes: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(i32, i32)> = None;
    for &ix in indexes {
        run = match run {
            Some((lo, hi)) if ix == hi + 1 => Some((lo, ix)),
            Some(r) => {
                parts.push(interval(r));
                Some((ix, ix))
            }
            None => Some((ix, ix)),
        };
    }
    if let Some(r) = run {
        parts.push(interval(r));
    }
    parts.join(",")
}

fn interval((lo, hi): (i32, i32)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let set: BTreeSet<i32> = [1, 3, 4, 5, 7].into_iter().collect();
        assert_eq!(format(&set), "1,3-5,7");
        assert_eq!(parse(Some("1,3-5,7"), 10), set);
        assert_eq!(parse(Some("1,3-5,7"), 5), [1, 3, 4].into_iter().collect());
        assert_eq!(format(&BTreeSet::new()), "");
        assert!(parse(None, 3).is_empty());
    }

    #[test]
    fn index_annotation() {
        let mut a = BTreeMap::new();
        a.insert(COMPLETION_INDEX.to_string(), "2".to_string());
        assert_eq!(completion_index(Some(&a)), Some(2));
        a.insert(COMPLETION_INDEX.to_string(), "02".to_string());
        assert_eq!(completion_index(Some(&a)), None);
        a.insert(COMPLETION_INDEX.to_string(), "-1".to_string());
        assert_eq!(completion_index(Some(&a)), None);
        assert_eq!(completion_index(None), None);
    }
}
