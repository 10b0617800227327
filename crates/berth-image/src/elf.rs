//! A small ELF reader: just what finding a binary's library closure needs (PT_INTERP,
//! DT_NEEDED, DT_RPATH, DT_RUNPATH) for 64-bit little-endian x86-64 objects.

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;
/// e_machine of x86-64.
pub const EM_X86_64: u16 = 62;

/// The dynamic-linking facts of one ELF object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfInfo {
    /// PT_INTERP: the dynamic loader the kernel starts (absent for static binaries and libraries).
    pub interpreter: Option<String>,
    /// DT_NEEDED entries, in order.
    pub needed: Vec<String>,
    /// DT_RPATH directories (colon-separated in the file), `$ORIGIN` not yet substituted.
    pub rpath: Vec<String>,
    /// DT_RUNPATH directories.
    pub runpath: Vec<String>,
    /// Whether the object has a PT_DYNAMIC segment at all.
    pub dynamic: bool,
}

/// Whether `data` starts like a 64-bit little-endian x86-64 ELF object (ld.so skips
/// candidates of another class or machine, and so do we).
pub fn is_x86_64(data: &[u8]) -> bool {
    data.len() >= 0x40
        && data[..4] == *b"\x7fELF"
        && data[4] == 2
        && data[5] == 1
        && u16::from_le_bytes([data[0x12], data[0x13]]) == EM_X86_64
}

struct Phdr {
    kind: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

fn u16_at(d: &[u8], at: usize) -> Result<u16, String> {
    d.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn u32_at(d: &[u8], at: usize) -> Result<u32, String> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn u64_at(d: &[u8], at: usize) -> Result<u64, String> {
    d.get(at..at + 8)
        .map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        })
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn c_string(d: &[u8], at: usize) -> Result<String, String> {
    let rest = d
        .get(at..)
        .ok_or_else(|| format!("string offset {at} past the end"))?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| format!("unterminated string at offset {at}"))?;
    String::from_utf8(rest[..end].to_vec()).map_err(|_| format!("non-UTF-8 string at offset {at}"))
}

/// Reads the dynamic-linking facts of an ELF object held in memory.
pub fn parse(data: &[u8]) -> Result<ElfInfo, String> {
    if data.len() < 0x40 || data[..4] != *b"\x7fELF" {
        return Err("no ELF header".into());
    }
    if data[4] != 2 || data[5] != 1 {
        return Err("only 64-bit little-endian ELF is supported".into());
    }
    let machine = u16_at(data, 0x12)?;
    if machine != EM_X86_64 {
        return Err(format!("machine {machine} is not x86-64"));
    }
    let phoff = u64_at(data, 0x20)? as usize;
    let phentsize = u16_at(data, 0x36)? as usize;
    let phnum = u16_at(data, 0x38)? as usize;
    if phentsize < 56 {
        return Err(format!("program header size {phentsize} too small"));
    }
    let mut phdrs = Vec::with_capacity(phnum);
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        phdrs.push(Phdr {
            kind: u32_at(data, at)?,
            offset: u64_at(data, at + 8)?,
            vaddr: u64_at(data, at + 16)?,
            filesz: u64_at(data, at + 32)?,
        });
    }
    let mut info = ElfInfo::default();
    if let Some(p) = phdrs.iter().find(|p| p.kind == PT_INTERP) {
        info.interpreter = Some(c_string(data, p.offset as usize)?);
    }
    let Some(dynamic) = phdrs.iter().find(|p| p.kind == PT_DYNAMIC) else {
        return Ok(info);
    };
    info.dynamic = true;
    let mut entries = Vec::new();
    let (mut strtab, mut strsz) = (None, None);
    let mut at = dynamic.offset as usize;
    let end = at + dynamic.filesz as usize;
    while at + 16 <= end {
        let tag = u64_at(data, at)?;
        let val = u64_at(data, at + 8)?;
        at += 16;
        match tag {
            DT_NULL => break,
            DT_STRTAB => strtab = Some(val),
            DT_STRSZ => strsz = Some(val),
            DT_NEEDED | DT_RPATH | DT_RUNPATH => entries.push((tag, val)),
            _ => {}
        }
    }
    if entries.is_empty() {
        return Ok(info);
    }
    let strtab = strtab.ok_or("DT_STRTAB missing")?;
    // DT_STRTAB is a virtual address: map it to a file offset through the PT_LOAD segments.
    let load = phdrs
        .iter()
        .find(|p| p.kind == PT_LOAD && p.vaddr <= strtab && strtab < p.vaddr + p.filesz)
        .ok_or("DT_STRTAB outside every PT_LOAD segment")?;
    let strtab_off = (strtab - load.vaddr + load.offset) as usize;
    let table_end = strsz.map_or(data.len(), |s| (strtab_off + s as usize).min(data.len()));
    let table = data
        .get(strtab_off..table_end)
        .ok_or("DT_STRTAB past the end")?;
    for (tag, off) in entries {
        let s = c_string(table, off as usize)?;
        match tag {
            DT_NEEDED => info.needed.push(s),
            DT_RPATH => info.rpath.extend(split_path_list(&s)),
            _ => info.runpath.extend(split_path_list(&s)),
        }
    }
    Ok(info)
}

fn split_path_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(':').filter(|p| !p.is_empty()).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_elf() {
        assert!(parse(
            b"#!/bin/sh\necho hello, this is not an ELF file at all........................"
        )
        .is_err());
    }

    #[test]
    fn reads_a_dynamic_binary_of_this_machine() {
        // The test binary itself is a dynamic x86-64 executable linked against libc.
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(exe).unwrap();
        assert!(is_x86_64(&data));
        let info = parse(&data).unwrap();
        assert!(info.dynamic);
        assert!(info
            .interpreter
            .as_deref()
            .unwrap()
            .contains("ld-linux-x86-64.so.2"));
        assert!(info.needed.iter().any(|n| n == "libc.so.6"), "{info:?}");
    }
}
