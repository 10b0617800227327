//! A set of equal-size IPv4 subnets of one cluster CIDR, handed out in order
//! (pkg/controller/nodeipam/ipam/cidrset).

use std::net::Ipv4Addr;

/// Why a CIDR could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CidrError {
    #[error("invalid CIDR {0:?}")]
    Invalid(String),
    #[error("CIDR {0} is outside the cluster CIDR")]
    Outside(String),
    #[error("node CIDR mask /{mask} must be larger than the cluster CIDR mask /{prefix} and at most /32")]
    Mask { prefix: u8, mask: u8 },
}

/// The subnets of size /`mask` of `base`/`prefix`, with which of them are in use.
#[derive(Debug, Clone)]
pub struct CidrSet {
    base: u32,
    prefix: u8,
    mask: u8,
    used: Vec<bool>,
    /// Where the next search starts (upstream rotates through the range).
    next: usize,
}

impl CidrSet {
    /// A set of /`mask` subnets of `base`/`prefix`.
    pub fn new(base: Ipv4Addr, prefix: u8, mask: u8) -> Result<CidrSet, CidrError> {
        if mask <= prefix || mask > 32 || prefix > 32 || mask - prefix > 24 {
            return Err(CidrError::Mask { prefix, mask });
        }
        Ok(CidrSet {
            base: u32::from(base) & netmask(prefix),
            prefix,
            mask,
            used: vec![false; 1usize << (mask - prefix)],
            next: 0,
        })
    }

    /// How many subnets the set holds.
    pub fn capacity(&self) -> usize {
        self.used.len()
    }

    /// Takes the next free subnet, or `None` when all are used.
    pub fn allocate(&mut self) -> Option<String> {
        let n = self.used.len();
        for i in 0..n {
            let idx = (self.next + i) % n;
            if !self.used[idx] {
                self.used[idx] = true;
                self.next = (idx + 1) % n;
                return Some(self.subnet(idx));
            }
        }
        None
    }

    /// Marks every subnet that `cidr` overlaps as used.
    pub fn occupy(&mut self, cidr: &str) -> Result<(), CidrError> {
        let (lo, hi) = self.range(cidr)?;
        for u in &mut self.used[lo..=hi] {
            *u = true;
        }
        Ok(())
    }

    /// Frees every subnet that `cidr` overlaps.
    pub fn release(&mut self, cidr: &str) -> Result<(), CidrError> {
        let (lo, hi) = self.range(cidr)?;
        for u in &mut self.used[lo..=hi] {
            *u = false;
        }
        Ok(())
    }

    fn subnet(&self, idx: usize) -> String {
        let addr = self.base + ((idx as u32) << (32 - self.mask));
        format!("{}/{}", Ipv4Addr::from(addr), self.mask)
    }

    /// The indexes of the subnets `cidr` overlaps.
    fn range(&self, cidr: &str) -> Result<(usize, usize), CidrError> {
        let (addr, len) = parse(cidr)?;
        let start = addr & netmask(len);
        let end = start | !netmask(len);
        let set_end = self.base | !netmask(self.prefix);
        if end < self.base || start > set_end {
            return Err(CidrError::Outside(cidr.to_string()));
        }
        let shift = 32 - self.mask;
        let lo = (start.max(self.base) - self.base) >> shift;
        let hi = (end.min(set_end) - self.base) >> shift;
        Ok((lo as usize, hi as usize))
    }
}

fn netmask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn parse(cidr: &str) -> Result<(u32, u8), CidrError> {
    let bad = || CidrError::Invalid(cidr.to_string());
    let (a, l) = cidr.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
    let len: u8 = l.parse().map_err(|_| bad())?;
    if len > 32 {
        return Err(bad());
    }
    Ok((u32::from(addr), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> CidrSet {
        CidrSet::new(Ipv4Addr::new(10, 244, 0, 0), 16, 24).expect("valid")
    }

    #[test]
    fn hands_out_subnets_in_order() {
        let mut s = set();
        assert_eq!(s.capacity(), 256);
        assert_eq!(s.allocate().as_deref(), Some("10.244.0.0/24"));
        assert_eq!(s.allocate().as_deref(), Some("10.244.1.0/24"));
    }

    #[test]
    fn skips_occupied_and_reuses_released() {
        let mut s = set();
        s.occupy("10.244.0.0/24").expect("inside");
        s.occupy("10.244.1.0/24").expect("inside");
        assert_eq!(s.allocate().as_deref(), Some("10.244.2.0/24"));
        s.release("10.244.0.0/24").expect("inside");
        // the search goes on from the last allocation, then wraps around
        for _ in 3..256 {
            assert!(s.allocate().is_some());
        }
        assert_eq!(s.allocate().as_deref(), Some("10.244.0.0/24"));
        assert_eq!(s.allocate(), None);
    }

    #[test]
    fn larger_cidrs_occupy_several_subnets() {
        let mut s = set();
        s.occupy("10.244.0.0/23").expect("inside");
        assert_eq!(s.allocate().as_deref(), Some("10.244.2.0/24"));
        assert_eq!(
            s.occupy("10.245.0.0/24"),
            Err(CidrError::Outside("10.245.0.0/24".into()))
        );
        assert!(matches!(s.occupy("10.244.0.0"), Err(CidrError::Invalid(_))));
    }

    #[test]
    fn full_set_gives_nothing() {
        let mut s = CidrSet::new(Ipv4Addr::new(10, 0, 0, 0), 30, 31).expect("valid");
        assert_eq!(s.allocate().as_deref(), Some("10.0.0.0/31"));
        assert_eq!(s.allocate().as_deref(), Some("10.0.0.2/31"));
        assert_eq!(s.allocate(), None);
        assert!(CidrSet::new(Ipv4Addr::new(10, 0, 0, 0), 24, 16).is_err());
    }
}
