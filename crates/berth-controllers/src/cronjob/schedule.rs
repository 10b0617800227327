//! Schedule arithmetic of the CronJob controller: the next activation after a time in
//! a time zone (robfig/cron's `Schedule.Next`) and the most recent missed one
//! (`mostRecentScheduleTime` in pkg/controller/cronjob/utils.go).

use berth_api::validation::CronSchedule;
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::Timestamp;

/// robfig/cron gives up looking for an activation after five years.
const SEARCH_MINUTES: i64 = 5 * 366 * 24 * 60;

/// How many schedules were missed since the earliest time considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    /// None, or exactly one (the one about to be started).
    None,
    /// Between 2 and 100.
    Few,
    /// More than 100: upstream warns with TooManyMissedTimes.
    Many,
}

/// Loads a time zone as Go's `time.LoadLocation` does: `""` and `UTC` are UTC, other
/// names are read from the system's zoneinfo database.
pub fn load_location(name: &str) -> Result<TimeZone, String> {
    if name.is_empty() || name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    let bad = name.starts_with('/')
        || name.split('/').any(|p| p == ".." || p.is_empty())
        || name.contains('\\');
    if bad || name == "Local" {
        return Err(format!("unknown time zone {name}"));
    }
    let dirs = [
        "/usr/share/zoneinfo",
        "/usr/share/lib/zoneinfo",
        "/usr/lib/locale/TZ",
    ];
    for dir in dirs {
        if let Ok(data) = std::fs::read(format!("{dir}/{name}")) {
            return TimeZone::tzif(name, &data)
                .map_err(|e| format!("unknown time zone {name}: {e}"));
        }
    }
    Err(format!("unknown time zone {name}"))
}

/// Splits a `TZ=`/`CRON_TZ=` prefix off a schedule (robfig/cron accepts it).
pub fn split_tz_prefix(schedule: &str) -> (Option<&str>, &str) {
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = schedule.strip_prefix(prefix) {
            if let Some((tz, spec)) = rest.split_once(' ') {
                return (Some(tz), spec.trim_start());
            }
        }
    }
    (None, schedule)
}

/// The first activation strictly after `t` (whole minutes, seconds dropped), or `None`
/// when there is none within five years (e.g. `0 0 30 2 *`).
pub fn next_after(s: &CronSchedule, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
    let start = t.as_second().div_euclid(60) + 1;
    let mut minute = start;
    while minute - start < SEARCH_MINUTES {
        let ts = Timestamp::from_second(minute * 60).ok()?;
        let dt = tz.to_datetime(ts);
        let (min, hour) = (dt.minute() as u32, dt.hour() as u32);
        let (dom, month) = (dt.day() as u32, dt.month() as u32);
        let dow = dt.weekday().to_sunday_zero_offset() as u32;
        if !s.matches(0, 0, dom, month, dow) && !day_matches_any_time(s, dom, month, dow) {
            // Skip to (about) the next local midnight; an hour early so that a
            // shorter DST day never makes us jump past its first hour.
            let left = 24 * 60 - (hour as i64 * 60 + min as i64);
            minute += (left - 60).max(1);
            continue;
        }
        if !hour_matches(s, hour) {
            minute += (60 - min as i64).max(1);
            continue;
        }
        if s.matches(min, hour, dom, month, dow) {
            return Some(ts);
        }
        minute += 1;
    }
    None
}

fn hour_matches(s: &CronSchedule, hour: u32) -> bool {
    hour < 64 && s.hours & (1 << hour) != 0
}

/// Whether the day (month, day of month, day of week) can fire at some minute.
fn day_matches_any_time(s: &CronSchedule, dom: u32, month: u32, dow: u32) -> bool {
    let any = CronSchedule {
        minutes: u64::MAX,
        hours: u64::MAX,
        ..s.clone()
    };
    any.matches(0, 0, dom, month, dow)
}

/// The most recent activation at or before `now`, counted from `earliest` (the last
/// schedule time or the CronJob's creation), with how many were missed. Errors as
/// upstream for a schedule whose two next activations are less than a second apart.
pub fn most_recent(
    s: &CronSchedule,
    tz: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> Result<(Option<Timestamp>, Missed), String> {
    let Some(t1) = next_after(s, tz, earliest) else {
        return Ok((None, Missed::None));
    };
    if now < t1 {
        return Ok((None, Missed::None));
    }
    let Some(t2) = next_after(s, tz, t1) else {
        return Ok((Some(t1), Missed::None));
    };
    if now < t2 {
        return Ok((Some(t1), Missed::None));
    }
    let between = t2.as_second() - t1.as_second();
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    // Upstream's approximation of the count, then an exact walk from one interval
    // before the estimate, which also handles irregular schedules.
    let elapsed = now.as_second() - t1.as_second();
    let missed = elapsed / between + 1;
    let mut t = Timestamp::from_second(t1.as_second() + (missed - 2).max(0) * between)
        .map_err(|e| e.to_string())?;
    let mut recent = t1;
    while let Some(n) = next_after(s, tz, t) {
        if n > now {
            break;
        }
        recent = n;
        t = n;
    }
    let kind = if missed > 100 {
        Missed::Many
    } else {
        Missed::Few
    };
    Ok((Some(recent), kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_api::validation::parse_schedule;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn sched(s: &str) -> CronSchedule {
        parse_schedule(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn next_minute_boundary() {
        let s = sched("*/1 * * * *");
        let n = next_after(&s, &TimeZone::UTC, ts("2024-05-01T10:00:30Z"));
        assert_eq!(n, Some(ts("2024-05-01T10:01:00Z")));
        let n = next_after(&s, &TimeZone::UTC, ts("2024-05-01T10:01:00Z"));
        assert_eq!(n, Some(ts("2024-05-01T10:02:00Z")));
    }

    #[test]
    fn day_and_hour_skips() {
        let s = sched("30 9 * * 1");
        // 2024-05-01 is a Wednesday; the next Monday is the 6th.
        let n = next_after(&s, &TimeZone::UTC, ts("2024-05-01T10:00:00Z"));
        assert_eq!(n, Some(ts("2024-05-06T09:30:00Z")));
        let s = sched("0 0 29 2 *");
        let n = next_after(&s, &TimeZone::UTC, ts("2025-01-01T00:00:00Z"));
        assert_eq!(n, Some(ts("2028-02-29T00:00:00Z")));
        assert_eq!(
            next_after(
                &sched("0 0 30 2 *"),
                &TimeZone::UTC,
                ts("2025-01-01T00:00:00Z")
            ),
            None
        );
    }

    #[test]
    fn time_zones() {
        let Ok(ny) = load_location("America/New_York") else {
            return; // no zoneinfo on this machine
        };
        let s = sched("0 9 * * *");
        let n = next_after(&s, &ny, ts("2024-07-01T00:00:00Z"));
        assert_eq!(n, Some(ts("2024-07-01T13:00:00Z")));
        assert!(load_location("../etc/passwd").is_err());
        assert!(load_location("Mars/Olympus").is_err());
        assert_eq!(load_location("").ok(), Some(TimeZone::UTC));
    }

    #[test]
    fn most_recent_counts_missed_schedules() {
        let s = sched("*/1 * * * *");
        let utc = TimeZone::UTC;
        let r = most_recent(
            &s,
            &utc,
            ts("2024-05-01T10:00:00Z"),
            ts("2024-05-01T10:00:40Z"),
        );
        assert_eq!(r, Ok((None, Missed::None)));
        let r = most_recent(
            &s,
            &utc,
            ts("2024-05-01T10:00:00Z"),
            ts("2024-05-01T10:01:05Z"),
        );
        assert_eq!(r, Ok((Some(ts("2024-05-01T10:01:00Z")), Missed::None)));
        let r = most_recent(
            &s,
            &utc,
            ts("2024-05-01T10:00:00Z"),
            ts("2024-05-01T10:05:05Z"),
        );
        assert_eq!(r, Ok((Some(ts("2024-05-01T10:05:00Z")), Missed::Few)));
        let r = most_recent(
            &s,
            &utc,
            ts("2024-05-01T10:00:00Z"),
            ts("2024-05-01T13:00:05Z"),
        );
        assert_eq!(r, Ok((Some(ts("2024-05-01T13:00:00Z")), Missed::Many)));
        // Irregular: Wednesdays and Sundays.
        let s = sched("0 0 * * 0,3");
        let r = most_recent(
            &s,
            &utc,
            ts("2024-04-01T00:00:00Z"),
            ts("2024-05-02T00:00:00Z"),
        );
        assert_eq!(r, Ok((Some(ts("2024-05-01T00:00:00Z")), Missed::Few)));
    }

    #[test]
    fn tz_prefix() {
        assert_eq!(
            split_tz_prefix("TZ=UTC 0 * * * *"),
            (Some("UTC"), "0 * * * *")
        );
        assert_eq!(split_tz_prefix("0 * * * *"), (None, "0 * * * *"));
    }
}
