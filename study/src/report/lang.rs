//! The language of a page or a chart, and numbers as it writes them:
//! English "47,528" and "0.81"; Spanish, following docs/glosario.md,
//! "47 528" (a no-break space, U+00A0, from five digits; "1000" stands
//! alone) and "0,81". Both are the demo's (`sockmodes_demo::Lang`), so
//! the demo, the report and the guides write a number one way.

pub use sockmodes_demo::Lang;

/// `v` with `decimals` decimals, as `lang` writes it ([`Lang::number`]).
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    lang.number(v, decimals)
}
