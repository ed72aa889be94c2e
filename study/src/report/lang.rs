//! The language of a page or a chart, and numbers as it writes them:
//! English "47,528" and "0.81"; Spanish, following docs/glosario.md,
//! "47 528" (a no-break space, U+00A0, from five digits; "1000" stands
//! alone) and "0,81".

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

/// `v` with `decimals` decimals, its thousands grouped as `lang` does.
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let text = format!("{:.decimals$}", v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sep, point, from) = match lang {
        Lang::En => (",", ".", 4),
        Lang::Es => ("\u{a0}", ",", 5),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if int.len() >= from && i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(sep);
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        "" => format!("{sign}{grouped}"),
        f => format!("{sign}{grouped}{point}{f}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        assert_eq!(number(47528.4, 0, Lang::En), "47,528");
        assert_eq!(number(47528.4, 0, Lang::Es), "47\u{a0}528");
        assert_eq!(number(1004.0, 0, Lang::En), "1,004");
        assert_eq!(
            number(1004.0, 0, Lang::Es),
            "1004",
            "four digits stand alone"
        );
        assert_eq!(number(0.8149, 2, Lang::Es), "0,81");
        assert_eq!(number(1234567.891, 1, Lang::En), "1,234,567.9");
        assert_eq!(number(-0.001, 1, Lang::En), "0.0", "no negative zero");
        assert_eq!(number(-12.5, 1, Lang::Es), "-12,5");
    }
}
