//! A step's timeline as an SVG picture, drawn from what this run measured
//! (`sockmodes demo --svg DIR`).
//!
//! Two steps have a timeline. Step 9: for each server, client A sending a
//! byte at a time and client B waiting for its message to be taken, as bars
//! on one time axis. With the lab's one-thread server B's bar is as long as
//! A's (the thread sleeps in `recv` on A); with the event loop or a thread
//! per connection it is a sliver. Step 11: on one event loop thread, A and
//! B each waiting for the answer to its message; with a blocking call in
//! the loop B's bar is twice A's (B waited for A's work too), with a timer
//! or a pool the two are alike. Plain SVG written by hand: rectangles and
//! text, no chart library in the command. The legend is the step's own
//! (who did what, from its spans), the axis's words its `s{n}.axis` text.
//!
//! A step keeps its measurements apart from its words (a [`Span`]'s row is
//! a key), so one run draws the picture in every language: `--svg DIR`
//! writes `step9-timeline.svg` and `step9-timeline-es.svg` side by side,
//! with the same bars. Numbers are written as each language writes them
//! ([`Lang::number`]: `0,08 ms` in Spanish).

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

/// Each of `values` once, in the order they first come.
fn first_seen<T: PartialEq>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for v in values {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen
}

/// The file the picture of step `number` in `lang` goes to: English
/// without a suffix, any other language with its code
/// (`step9-timeline.svg`, `step9-timeline-es.svg`).
pub fn file_name(number: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("step{number}-timeline.svg"),
        other => format!("step{number}-timeline-{}.svg", other.code()),
    }
}

/// The picture of `step`'s spans in `lang` (whatever language the step ran
/// in), or `None` when it has none.
pub fn svg(step: &Step, lang: Lang) -> Option<String> {
    if step.spans.is_empty() {
        return None;
    }
    let rows = first_seen(step.spans.iter().map(|s| s.row));
    let longest = step
        .spans
        .iter()
        .map(|s| s.end.as_secs_f64() * 1e3)
        .fold(1.0, f64::max);
    let scale = (WIDTH - LEFT - RIGHT) / longest;
    let bottom = TOP + ROW * rows.len() as f64;
    let height = bottom + 70.0;
    let heading = lang.t(&format!("s{}.title", step.number));
    let title = lang.fill("step", &[("n", &step.number), ("title", &heading)]);
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
            escape(lang.t(&format!("o.{row}")))
        );
        for (k, s) in step.spans.iter().filter(|s| s.row == *row).enumerate() {
            bar(&mut out, s, y + 20.0 + k as f64 * (BAR + 4.0), scale, lang);
        }
    }
    axis(&mut out, step.number, bottom, longest, scale, lang);
    legend(&mut out, &step.spans, height - 18.0, lang);
    out.push_str("</svg>\n");
    Some(out)
}

fn bar(out: &mut String, s: &Span, y: f64, scale: f64, lang: Lang) {
    let start_ms = s.start.as_secs_f64() * 1e3;
    let end_ms = s.end.as_secs_f64() * 1e3;
    let ms = end_ms - start_ms;
    let x = LEFT + start_ms * scale;
    // At least 2 px, so a wait of microseconds still shows.
    let w = (ms * scale).max(2.0);
    let label = format!("{} {}", s.who, lang.t(s.what));
    let _ = writeln!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{BAR}" fill="{}"><title>{}: {}-{} ms</title></rect>"#,
        colour(s.who),
        escape(&label),
        lang.number(start_ms, 1),
        lang.number(end_ms, 1)
    );
    let digits = if ms < 10.0 { 2 } else { 0 };
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="11">{} ms</text>"#,
        x + w + 4.0,
        y + BAR - 3.0,
        lang.number(ms, digits)
    );
}

fn axis(out: &mut String, number: usize, y: f64, longest: f64, scale: f64, lang: Lang) {
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
            r##"<line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{}" stroke="#333"/><text x="{x:.1}" y="{}" text-anchor="middle" font-size="11">{}</text>"##,
            y + 5.0,
            y + 18.0,
            lang.number(t, 0)
        );
        t += step;
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="12">{}</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        y + 34.0,
        escape(lang.t(&format!("s{number}.axis")))
    );
}

/// One entry per party and what it did, in the order the spans first name
/// them.
fn legend(out: &mut String, spans: &[Span], y: f64, lang: Lang) {
    let entries = first_seen(spans.iter().map(|s| (s.who, s.what)));
    for (i, (who, key)) in entries.iter().enumerate() {
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

    fn span(row: &'static str, who: &'static str, what: &'static str, us: (u64, u64)) -> Span {
        Span {
            row,
            who,
            what,
            start: Duration::from_micros(us.0),
            end: Duration::from_micros(us.1),
        }
    }

    /// A step 9 as a run records it, in English.
    fn step9() -> Step {
        Step {
            number: 9,
            title: Lang::En.t("s9.title").into(),
            lines: Vec::new(),
            observed: Vec::new(),
            lesson: String::new(),
            spans: vec![
                span("b_one_thread", "A", "tl.a_sends", (0, 1_002_400)),
                span("b_one_thread", "B", "tl.b_waits", (0, 1_002_400)),
                span("b_loop", "A", "tl.a_sends", (0, 1_000_000)),
                span("b_loop", "B", "tl.b_waits", (0, 1_000)),
            ],
        }
    }

    /// The width of the bar whose tooltip contains `label`.
    fn width(svg: &str, label: &str) -> f64 {
        let at = svg.find(label).expect(label);
        let rect = &svg[..at];
        let w = rect.rfind("width=\"").expect("a width") + 7;
        rect[w..].split('"').next().unwrap().parse().unwrap()
    }

    #[test]
    fn a_bar_per_span_a_row_per_scenario_and_bars_scale_with_time() {
        let step = step9();
        let svg = svg(&step, Lang::En).expect("spans");
        assert!(svg.starts_with("<svg"));
        assert_eq!(
            svg.matches("<title>").count(),
            1 + 4,
            "the picture's and a bar's each"
        );
        assert!(
            svg.contains(Lang::En.t("o.b_one_thread")),
            "rows are labelled"
        );
        assert!(svg.contains(">1,002 ms<") && svg.contains(">1.00 ms<"));
        assert!(width(&svg, "B waits for its message to be taken: 0.0-1,002.4") > 400.0);
        assert!(width(&svg, "B waits for its message to be taken: 0.0-1.0") < 5.0);
        let empty = Step {
            spans: Vec::new(),
            ..step
        };
        assert_eq!(super::svg(&empty, Lang::En), None);
        assert_eq!(escape("a <b> & c"), "a &lt;b&gt; &amp; c");
    }

    #[test]
    fn each_step_draws_its_own_legend_and_axis() {
        let w = |row, who, us| span(row, who, "tl.waits_answer", us);
        let step11 = Step {
            number: 11,
            title: Lang::En.t("s11.title").into(),
            lines: Vec::new(),
            observed: Vec::new(),
            lesson: String::new(),
            spans: vec![
                w("with_block", "A", (0, 200_300)),
                w("with_block", "B", (40, 400_900)),
                w("with_wait", "A", (0, 200_200)),
                w("with_wait", "B", (40, 200_500)),
            ],
        };
        let svg = svg(&step11, Lang::En).unwrap();
        assert!(svg.contains(Lang::En.t("s11.axis")), "step 11's axis");
        assert!(!svg.contains(Lang::En.t("s9.axis")));
        assert!(
            svg.contains(">A waits for its answer<") && svg.contains(">B waits for its answer<")
        );
        assert!(
            !svg.contains(Lang::En.t("tl.a_sends")),
            "no legend of step 9's"
        );
        assert!(
            width(&svg, "B waits for its answer: 0.0-400.9")
                > 1.9 * width(&svg, "A waits for its answer: 0.0-200.3")
        );
        let nine = super::svg(&step9(), Lang::En).unwrap();
        assert!(
            nine.contains(Lang::En.t("s9.axis"))
                && nine.contains(">B waits for its message to be taken<")
        );
        assert_eq!(file_name(11, Lang::Es), "step11-timeline-es.svg");
    }

    #[test]
    fn one_run_draws_every_language_with_its_own_numbers() {
        let step = step9();
        let en = svg(&step, Lang::En).unwrap();
        let es = svg(&step, Lang::Es).unwrap();
        assert!(es.contains("Paso 9: ") && es.contains(Lang::Es.t("s9.title")));
        assert!(es.contains(Lang::Es.t("o.b_loop")) && !es.contains(Lang::En.t("o.b_loop")));
        assert!(
            es.contains(">1,00 ms<") && es.contains("0,0-1002,4 ms"),
            "{es}"
        );
        // No decimal point in any Spanish number: every text node and
        // tooltip checked (the SVG's own coordinates are not text).
        for text in es.split('>').filter_map(|t| t.split('<').next()) {
            let words = text.split([' ', '-', ':']);
            for w in words.filter(|w| w.starts_with(|c: char| c.is_ascii_digit())) {
                assert!(!w.contains('.'), "a decimal point in {text:?}");
            }
        }
        // The same bars: only the words and the numbers' look differ.
        let widths = |svg: &str| -> Vec<String> {
            svg.split("width=\"")
                .skip(1)
                .map(|w| w.split('"').next().unwrap().to_string())
                .collect()
        };
        assert_eq!(widths(&en), widths(&es));
        assert_eq!(file_name(9, Lang::En), "step9-timeline.svg");
        assert_eq!(file_name(9, Lang::Es), "step9-timeline-es.svg");
    }
}
