//! The standard 5-field cron grammar of robfig/cron v3 (`cron.ParseStandard`), which
//! kube-apiserver uses for CronJob schedules, with its error messages.

/// A parsed schedule: one bit per allowed value of each field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    /// Minutes 0–59.
    pub minutes: u64,
    /// Hours 0–23.
    pub hours: u64,
    /// Days of month 1–31.
    pub days_of_month: u64,
    /// Months 1–12.
    pub months: u64,
    /// Days of week 0–6, Sunday is 0.
    pub days_of_week: u64,
    /// True when day-of-month was `*` or `?` (then only day-of-week restricts days).
    pub dom_star: bool,
    /// True when day-of-week was `*` or `?`.
    pub dow_star: bool,
}

impl CronSchedule {
    /// Whether the schedule fires at this minute, with robfig/cron's day rule: when
    /// both day fields are restricted, either may match.
    pub fn matches(&self, minute: u32, hour: u32, dom: u32, month: u32, dow: u32) -> bool {
        let has = |bits: u64, v: u32| v < 64 && bits & (1 << v) != 0;
        let day = if self.dom_star || self.dow_star {
            has(self.days_of_month, dom) && has(self.days_of_week, dow)
        } else {
            has(self.days_of_month, dom) || has(self.days_of_week, dow)
        };
        has(self.minutes, minute) && has(self.hours, hour) && has(self.months, month) && day
    }
}

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

fn bits(start: u32, end: u32, step: u32) -> u64 {
    (start..=end)
        .step_by(step as usize)
        .fold(0, |acc, v| acc | (1u64 << v))
}

/// Go's `strconv.Atoi` followed by robfig's negative check.
fn must_parse_int(expr: &str) -> Result<u32, String> {
    let n: i64 = expr.parse().map_err(|_| {
        let digits = expr.trim_start_matches(['+', '-']);
        let reason = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            "value out of range"
        } else {
            "invalid syntax"
        };
        format!("failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": {reason}")
    })?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    u32::try_from(n).map_err(|_| format!("end of range ({n}) above maximum: {expr}"))
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

fn get_range(expr: &str, b: &Bounds) -> Result<(u64, bool), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut star) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (b.min, b.max, true)
    } else {
        let start = parse_int_or_name(low_and_high[0], b)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end, false)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok((bits(start, end, step), star))
}

fn get_field(field: &str, b: &Bounds) -> Result<(u64, bool), String> {
    let mut all = 0;
    let mut star = false;
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        let (bits, s) = get_range(expr, b)?;
        all |= bits;
        star |= s;
    }
    Ok((all, star))
}

/// Parses a CronJob schedule like `cron.ParseStandard`: five fields or a descriptor
/// (`@hourly`, `@daily`, `@every 1h`, …), with an optional `TZ=`/`CRON_TZ=` prefix.
/// The error text is robfig/cron's, which kube-apiserver puts in its message.
pub fn parse_schedule(spec: &str) -> Result<CronSchedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let Some(space) = spec.find(' ') else {
            return Err(format!(
                "provided bad location {}: unknown time zone {}",
                &spec[eq + 1..],
                &spec[eq + 1..]
            ));
        };
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return parse_descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let (minutes, _) = get_field(fields[0], &MINUTES)?;
    let (hours, _) = get_field(fields[1], &HOURS)?;
    let (days_of_month, dom_star) = get_field(fields[2], &DOM)?;
    let (months, _) = get_field(fields[3], &MONTHS)?;
    let (days_of_week, dow_star) = get_field(fields[4], &DOW)?;
    Ok(CronSchedule {
        minutes,
        hours,
        days_of_month,
        months,
        days_of_week,
        dom_star,
        dow_star,
    })
}

fn parse_descriptor(d: &str) -> Result<CronSchedule, String> {
    let all = |b: &Bounds| bits(b.min, b.max, 1);
    let at = |minutes: u64, hours: u64, dom: u64, months: u64, dow: u64, star: bool| CronSchedule {
        minutes,
        hours,
        days_of_month: dom,
        months,
        days_of_week: dow,
        dom_star: star,
        dow_star: true,
    };
    match d {
        "@yearly" | "@annually" => Ok(at(1, 1, 1 << 1, 1 << 1, all(&DOW), false)),
        "@monthly" => Ok(at(1, 1, 1 << 1, all(&MONTHS), all(&DOW), false)),
        "@weekly" => Ok(CronSchedule {
            dow_star: false,
            dom_star: true,
            ..at(1, 1, all(&DOM), all(&MONTHS), 1, true)
        }),
        "@daily" | "@midnight" => Ok(at(1, 1, all(&DOM), all(&MONTHS), all(&DOW), true)),
        "@hourly" => Ok(at(1, all(&HOURS), all(&DOM), all(&MONTHS), all(&DOW), true)),
        _ => {
            if let Some(duration) = d.strip_prefix("@every ") {
                if !is_go_duration(duration) {
                    return Err(format!(
                        "failed to parse duration {d}: time: invalid duration {}",
                        super::go_quote(duration)
                    ));
                }
                // Interval schedules do not map onto calendar fields; every minute
                // is the closest calendar approximation.
                return Ok(at(
                    all(&MINUTES),
                    all(&HOURS),
                    all(&DOM),
                    all(&MONTHS),
                    all(&DOW),
                    true,
                ));
            }
            Err(format!("unrecognized descriptor: {d}"))
        }
    }
}

/// Accepts what Go's `time.ParseDuration` accepts: `1h30m`, `90s`, `1.5h`, `0`.
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 || rest[..num_len] == *"." {
            return false;
        }
        rest = &rest[num_len..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(**u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_schedules_parse() {
        for s in [
            "*/5 * * * *",
            "0 0 * * *",
            "15 2 1,15 * mon-fri",
            "0 9 * JAN-MAR SUN",
            "@hourly",
            "@daily",
            "@every 1h30m",
            "CRON_TZ=UTC 0 * * * *",
            "? * * * ?",
        ] {
            assert!(parse_schedule(s).is_ok(), "{s}: {:?}", parse_schedule(s));
        }
    }

    #[test]
    fn robfig_error_messages() {
        assert_eq!(parse_schedule("").unwrap_err(), "empty spec string");
        assert_eq!(
            parse_schedule("* * * *").unwrap_err(),
            "expected exactly 5 fields, found 4: [* * * *]"
        );
        assert_eq!(
            parse_schedule("60 * * * *").unwrap_err(),
            "end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            parse_schedule("* * 0 * *").unwrap_err(),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            parse_schedule("5-1 * * * *").unwrap_err(),
            "beginning of range (5) beyond end of range (1): 5-1"
        );
        assert_eq!(
            parse_schedule("x * * * *").unwrap_err(),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_schedule("*/0 * * * *").unwrap_err(),
            "step of range should be a positive number: */0"
        );
        assert_eq!(
            parse_schedule("@fortnightly").unwrap_err(),
            "unrecognized descriptor: @fortnightly"
        );
        assert_eq!(
            parse_schedule("1-2-3 * * * *").unwrap_err(),
            "too many hyphens: 1-2-3"
        );
    }

    #[test]
    fn matching() {
        let s = parse_schedule("*/15 9-17 * * 1-5").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.matches(30, 10, 3, 6, 2));
        assert!(!s.matches(31, 10, 3, 6, 2));
        assert!(!s.matches(30, 10, 3, 6, 0));
        let hourly = parse_schedule("@hourly").unwrap_or_else(|e| panic!("{e}"));
        assert!(hourly.matches(0, 5, 12, 4, 3));
        assert!(!hourly.matches(1, 5, 12, 4, 3));
        // Both day fields restricted: either matches.
        let either = parse_schedule("0 0 1 * 1").unwrap_or_else(|e| panic!("{e}"));
        assert!(either.matches(0, 0, 1, 5, 3));
        assert!(either.matches(0, 0, 9, 5, 1));
    }
}
