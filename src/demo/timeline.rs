//! A step's timeline as an SVG picture, drawn from what this run measured
//! (`sockmodes demo --svg DIR`).
//!
//! Step 9 is the one with a timeline: for each server, client A sending a
//! byte at a time and client B waiting for its message to be taken, as bars
//! on one time axis. With the lab's one-thread server B's bar is as long as
//! A's (the thread sleeps in `recv` on A); with the event loop or a thread
//! per connection it is a sliver. Plain SVG written by hand: rectangles and
//! text, no chart library in the command.

use std::fmt::Write;

use super::{Lang, Span, Step};

const WIDTH: f64 = 860.0;
const LEFT: f64 = 30.0;
const RIGHT: f64 = 90.0;
const ROW: f64 = 74.0;
const BAR: f64 = 16.0;
const TOP: f64 = 60.0;

/// The colour of each party, as in the legend.
fn colour(who: &str) -> &'static str {
    match who {
        "A" => "#1f77b4",
        _ => "#ff7f0e",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The picture of `step`'s spans, or `None` when it has none.
pub fn svg(step: &Step, lang: Lang) -> Option<String> {
    if step.spans.is_empty() {
        return None;
    }
    let mut rows: Vec<&str> = Vec::new();
    for s in &step.spans {
        if !rows.contains(&s.row.as_str()) {
            rows.push(&s.row);
        }
    }
    let longest = step
        .spans
        .iter()
        .map(|s| s.end.as_secs_f64() * 1e3)
        .fold(1.0, f64::max);
    let scale = (WIDTH - LEFT - RIGHT) / longest;
    let height = TOP + ROW * rows.len() as f64 + 70.0;
    let title = lang.fill("step", &[("n", &step.number), ("title", &step.title)]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img">"#
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/><text x="{}" y="26" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        WIDTH / 2.0,
        escape(&title)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(
            out,
            r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#,
            y + 12.0,
            escape(row)
        );
        for (k, s) in step.spans.iter().filter(|s| s.row == *row).enumerate() {
            bar(&mut out, s, y + 20.0 + k as f64 * (BAR + 4.0), scale, lang);
        }
    }
    axis(
        &mut out,
        TOP + ROW * rows.len() as f64,
        longest,
        scale,
        lang,
    );
    legend(&mut out, height - 18.0, lang);
    out.push_str("</svg>\n");
    Some(out)
}

fn bar(out: &mut String, s: &Span, y: f64, scale: f64, lang: Lang) {
    let start_ms = s.start.as_secs_f64() * 1e3;
    let end_ms = s.end.as_secs_f64() * 1e3;
    let x = LEFT + start_ms * scale;
    // At least 2 px, so a wait of microseconds still shows.
    let w = ((end_ms - start_ms) * scale).max(2.0);
    let label = format!("{} {}", s.who, lang.t(s.what));
    let _ = writeln!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{BAR}" fill="{}"><title>{}: {:.1}-{:.1} ms</title></rect>"#,
        colour(s.who),
        escape(&label),
        start_ms,
        end_ms
    );
    let ms = end_ms - start_ms;
    let digits = if ms < 10.0 { 2 } else { 0 };
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="11">{ms:.digits$} ms</text>"#,
        x + w + 4.0,
        y + BAR - 3.0,
    );
}

fn axis(out: &mut String, y: f64, longest: f64, scale: f64, lang: Lang) {
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#333"/>"##,
        WIDTH - RIGHT
    );
    let step = [10.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]
        .into_iter()
        .find(|s| longest / s <= 8.0)
        .unwrap_or(5000.0);
    let mut t = 0.0;
    while t <= longest + 1e-9 {
        let x = LEFT + t * scale;
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{}" stroke="#333"/><text x="{x:.1}" y="{}" text-anchor="middle" font-size="11">{t:.0}</text>"##,
            y + 5.0,
            y + 18.0
        );
        t += step;
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        y + 34.0,
        escape(lang.t("tl.axis"))
    );
}

fn legend(out: &mut String, y: f64, lang: Lang) {
    for (i, (who, key)) in [("A", "tl.a_sends"), ("B", "tl.b_waits")]
        .iter()
        .enumerate()
    {
        let x = 40.0 + 380.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="14" height="14" fill="{}"/><text x="{}" y="{y}">{} {}</text>"#,
            y - 11.0,
            colour(who),
            x + 20.0,
            who,
            escape(lang.t(key))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn span(row: &str, who: &'static str, what: &'static str, ms: (u64, u64)) -> Span {
        Span {
            row: row.into(),
            who,
            what,
            start: Duration::from_millis(ms.0),
            end: Duration::from_millis(ms.1),
        }
    }

    #[test]
    fn a_bar_per_span_a_row_per_scenario_and_bars_scale_with_time() {
        let step = Step {
            number: 9,
            title: "t".into(),
            lines: Vec::new(),
            observed: Vec::new(),
            lesson: String::new(),
            spans: vec![
                span("one <thread>", "A", "tl.a_sends", (0, 1000)),
                span("one <thread>", "B", "tl.b_waits", (0, 1000)),
                span("loop", "A", "tl.a_sends", (0, 1000)),
                span("loop", "B", "tl.b_waits", (0, 1)),
            ],
        };
        let svg = svg(&step, Lang::En).expect("spans");
        assert!(svg.starts_with("<svg"));
        assert_eq!(
            svg.matches("<title>").count(),
            1 + 4,
            "the picture's and a bar's each"
        );
        assert!(svg.contains("one &lt;thread&gt;"), "text is escaped");
        assert!(svg.contains(">1000 ms<") && svg.contains(">1.00 ms<"));
        let width = |label: &str| -> f64 {
            let at = svg.find(label).expect(label);
            let rect = &svg[..at];
            let w = rect.rfind("width=\"").expect("a width") + 7;
            rect[w..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(width("B waits for its message to be taken: 0.0-1000.0") > 400.0);
        assert!(width("B waits for its message to be taken: 0.0-1.0") < 5.0);
        let empty = Step {
            spans: Vec::new(),
            ..step
        };
        assert_eq!(super::svg(&empty, Lang::En), None);
    }
}
