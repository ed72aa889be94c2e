//! The project's performance targets, checked against one run.

use serde::Serialize;

use super::Study;
use crate::support::servers::Target;
use crate::support::sweep::find;

/// A target from the issue, checked against this run.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

/// Judges `study` against the targets.
pub fn check(study: &Study<'_>) -> Vec<TargetCheck> {
    let (results, scale) = (study.results, study.scale);
    let mut checks = Vec::new();
    let mut push = |target: String, measured: String, met: Option<bool>| {
        checks.push(TargetCheck {
            target,
            measured,
            met,
        })
    };
    for r in results.iter().filter(|r| r.group == "latency") {
        let b = r.ratio(Target::Blocking, Target::Raw);
        let nb = r.ratio(Target::NonBlocking, Target::Raw);
        let vs_tokio = r.ratio(Target::NonBlocking, Target::Tokio);
        push(
            format!("blocking {} round trip within 1.05x of raw", r.case),
            b.map_or("-".into(), |x| format!("{x:.3}x")),
            b.map(|x| x <= 1.05),
        );
        push(
            format!(
                "non-blocking {} round trip within 1.10x of raw and no slower than tokio",
                r.case
            ),
            match (nb, vs_tokio) {
                (Some(a), Some(c)) => format!("{a:.3}x raw, {c:.3}x tokio"),
                _ => "-".into(),
            },
            nb.zip(vs_tokio).map(|(a, c)| a <= 1.10 && c <= 1.0),
        );
    }
    for r in results
        .iter()
        .filter(|r| r.group == "throughput" && r.case.starts_with("sink"))
    {
        for t in [Target::Blocking, Target::NonBlocking] {
            let x = r.ratio(t, Target::Raw);
            push(
                format!("{} sink throughput at least 0.9x raw", t.name()),
                x.map_or("-".into(), |x| format!("{x:.3}x")),
                x.map(|x| x >= 0.9),
            );
        }
    }
    let at_1000 = |t: Target| find(study.sweep, t, 1000).map(|p| p.messages_per_s);
    if let (Some(nb), Some(tokio)) = (at_1000(Target::NonBlocking), at_1000(Target::Tokio)) {
        let x = nb / tokio;
        push(
            "non-blocking at 1000 connections at least tokio's messages/s".into(),
            format!("{x:.3}x tokio"),
            Some(x >= 1.0),
        );
    }
    for (mode, limit) in [("nonblocking", 20.0), ("blocking", 80.0)] {
        if let Some(p) = scale
            .iter()
            .find(|p| p.mode == mode && p.connections == 10_000)
        {
            push(
                format!("10,000 idle connections: {mode} server under {limit:.0} MiB resident"),
                format!("{:.1} MiB", p.rss_mib),
                Some(p.rss_mib < limit),
            );
        }
    }
    checks
}
