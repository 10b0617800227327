//! Key-range helpers shared by the backends (etcd's `range_end` arithmetic).

/// The smallest byte string greater than every string that starts with `prefix`,
/// or `None` when no such bound exists (empty prefix, or a prefix of only `0xff` bytes).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The first key to read: `start` when it lies inside the prefix range, else the prefix.
pub(crate) fn range_start<'a>(prefix: &'a str, start: &'a str) -> &'a str {
    if start.as_bytes() > prefix.as_bytes() {
        start
    } else {
        prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(
            prefix_end(b"/registry/pods/"),
            Some(b"/registry/pods0".to_vec())
        );
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn range_start_never_goes_below_the_prefix() {
        assert_eq!(range_start("/a/", ""), "/a/");
        assert_eq!(range_start("/a/", "/a/x"), "/a/x");
    }
}
