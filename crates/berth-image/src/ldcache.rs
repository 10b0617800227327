//! Reads `/etc/ld.so.cache` (glibc's "glibc-ld.so.cache1.1" format, alone or after the
//! old "ld.so-1.7.0" table) into a map from soname to path, as ld.so consults it.

use std::collections::HashMap;

const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
/// FLAG_ELF_LIBC6 | FLAG_X8664_LIB64: the entries ld.so uses for x86-64 objects.
const X86_64_LIBC6: i32 = 0x0303;

/// Parses a cache file's bytes. Entries for other ABIs are left out; the first entry of a
/// soname wins, as in ld.so (the file is sorted by preference).
pub fn parse(data: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut start = 0usize;
    if data.starts_with(OLD_MAGIC) {
        // Old header: magic[11] (padded to 12), nlibs u32; entries: flags i32, key u32, value u32.
        let nlibs = read_u32(data, 12)? as usize;
        start = 16 + nlibs * 12;
        start = (start + 7) & !7;
    }
    let new = data.get(start..).ok_or("truncated cache")?;
    if !new.starts_with(NEW_MAGIC) {
        return Err("no glibc-ld.so.cache1.1 table".into());
    }
    // Header: magic[20], nlibs u32, len_strings u32, flags u8, pad[3], extension_offset u32, unused[3] u32.
    let nlibs = read_u32(new, 20)? as usize;
    let mut map = HashMap::new();
    for i in 0..nlibs {
        // Entry: flags i32, key u32, value u32, osversion u32, hwcap u64. String offsets are
        // relative to the start of the new table.
        let at = 48 + i * 24;
        let flags = read_u32(new, at)? as i32;
        if flags != X86_64_LIBC6 {
            continue;
        }
        let key = c_string(new, read_u32(new, at + 4)? as usize)?;
        let value = c_string(new, read_u32(new, at + 8)? as usize)?;
        map.entry(key).or_insert(value);
    }
    Ok(map)
}

/// Reads and parses `/etc/ld.so.cache`; an absent or unreadable cache gives an empty map
/// (ld.so then falls back to the standard directories, and so do we).
pub fn load_system() -> HashMap<String, String> {
    match std::fs::read("/etc/ld.so.cache") {
        Ok(data) => parse(&data).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "ignoring /etc/ld.so.cache");
            HashMap::new()
        }),
        Err(_) => HashMap::new(),
    }
}

fn read_u32(d: &[u8], at: usize) -> Result<u32, String> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn c_string(d: &[u8], at: usize) -> Result<String, String> {
    let rest = d.get(at..).ok_or("string offset past the end")?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or("unterminated string")?;
    String::from_utf8(rest[..end].to_vec()).map_err(|_| "non-UTF-8 path".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, &str, &str)]) -> Vec<u8> {
        let mut strings = Vec::new();
        let table_len = 48 + entries.len() * 24;
        let mut out = Vec::new();
        out.extend_from_slice(NEW_MAGIC);
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0u8; 24]);
        for (flags, k, v) in entries {
            let k_off = table_len + strings.len();
            strings.extend_from_slice(k.as_bytes());
            strings.push(0);
            let v_off = table_len + strings.len();
            strings.extend_from_slice(v.as_bytes());
            strings.push(0);
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&(k_off as u32).to_le_bytes());
            out.extend_from_slice(&(v_off as u32).to_le_bytes());
            out.extend_from_slice(&[0u8; 12]);
        }
        out.extend_from_slice(&strings);
        out
    }

    #[test]
    fn keeps_first_x86_64_entry_per_soname() {
        let data = cache(&[
            (0x0303, "libfoo.so.1", "/opt/first/libfoo.so.1"),
            (0x0303, "libfoo.so.1", "/opt/second/libfoo.so.1"),
            (0x0003, "libbar.so.2", "/usr/lib32/libbar.so.2"),
        ]);
        let map = parse(&data).unwrap();
        assert_eq!(map["libfoo.so.1"], "/opt/first/libfoo.so.1");
        assert!(!map.contains_key("libbar.so.2"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"not a cache").is_err());
    }

    #[test]
    fn system_cache_knows_libc() {
        if std::path::Path::new("/etc/ld.so.cache").exists() {
            let map = load_system();
            assert!(
                map.contains_key("libc.so.6"),
                "libc.so.6 missing from the parsed cache"
            );
        }
    }
}
