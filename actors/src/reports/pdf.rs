//! The daily PDF (operations.md §7), A4 portrait: page 1 = header and the KPI table with
//! footnotes for estimated values and the formula versions; page 2 = the trend charts.
//! krilla writes the PDF with our embedded font; nothing is looked up on the host.
use super::chart::{self, Ink, text};
use super::{DailyReport, format_value, label, loss_line, number, status_label};
use crate::kpi::result::KpiResult;
use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::surface::Surface;

const W: f32 = 595.0;
const H: f32 = 842.0;
const LEFT: f32 = 40.0;
const PAGES: usize = 2;

fn status_ink(status: &str) -> Ink {
    match status {
        "on_target" => Ink::Green,
        "at_risk" => Ink::Amber,
        "off_target" => Ink::Red,
        _ => Ink::Grey,
    }
}

fn footer(s: &mut Surface, r: &DailyReport, page: usize) {
    chart::line(s, (LEFT, H - 40.0), (W - LEFT, H - 40.0), Ink::Light);
    let left = format!(
        "{} ({}) - {} - generated {}",
        r.client.client_name, r.client.client_id, r.date, r.generated_at
    );
    text(s, LEFT, H - 28.0, 7.0, false, Ink::Grey, &left);
    text(
        s,
        W - LEFT - 50.0,
        H - 28.0,
        7.0,
        false,
        Ink::Grey,
        &format!("Page {page} of {PAGES}"),
    );
}

/// "estimated 0.83" / "measured".
fn provenance(k: &KpiResult) -> String {
    if k.value.is_none() {
        "-".into()
    } else if k.estimated {
        format!("estimated ({:.2})", k.confidence)
    } else {
        "measured".into()
    }
}

fn header(s: &mut Surface, r: &DailyReport) -> f32 {
    text(s, LEFT, 58.0, 18.0, true, Ink::Text, "Daily KPI Report");
    let who = format!("{} ({})", r.client.client_name, r.client.client_id);
    text(s, LEFT, 80.0, 12.0, true, Ink::Text, &who);
    let when = format!(
        "Production day {} ({}), time zone {}",
        r.date,
        r.date.format("%B %d, %Y"),
        r.client.timezone
    );
    text(s, LEFT, 96.0, 9.5, false, Ink::Text, &when);
    text(
        s,
        LEFT,
        109.0,
        8.0,
        false,
        Ink::Grey,
        &format!("Generated at {}", r.generated_at),
    );
    chart::line(s, (LEFT, 118.0), (W - LEFT, 118.0), Ink::Light);
    134.0
}

const COLUMNS: [(&str, f32); 6] = [
    ("KPI", 0.0),
    ("Value", 105.0),
    ("Target", 225.0),
    ("Status", 290.0),
    ("Measured / estimated", 360.0),
    ("Formula", 470.0),
];

fn kpi_table(s: &mut Surface, r: &DailyReport, mut y: f32) -> f32 {
    for (name, x) in COLUMNS {
        text(s, LEFT + x, y, 8.5, true, Ink::Text, name);
    }
    y += 5.0;
    chart::line(s, (LEFT, y), (W - LEFT, y), Ink::Grey);
    let mut note = 0;
    for (name, k) in &r.kpis {
        y += 15.0;
        let mark = if k.estimated && k.value.is_some() {
            note += 1;
            format!(" [{note}]")
        } else {
            String::new()
        };
        text(
            s,
            LEFT,
            y,
            8.5,
            false,
            Ink::Text,
            &format!("{}{mark}", label(name)),
        );
        let value_ink = if k.value.is_some() {
            Ink::Text
        } else {
            Ink::Grey
        };
        text(
            s,
            LEFT + 105.0,
            y,
            8.5,
            k.value.is_some(),
            value_ink,
            &format_value(k),
        );
        let target = k.target.map_or("-".into(), number);
        text(s, LEFT + 225.0, y, 8.5, false, Ink::Text, &target);
        text(
            s,
            LEFT + 290.0,
            y,
            8.5,
            true,
            status_ink(k.status),
            status_label(k.status),
        );
        text(s, LEFT + 360.0, y, 8.5, false, Ink::Text, &provenance(k));
        let version = k.formula_version.map_or("-".into(), |v| format!("v{v}"));
        text(s, LEFT + 470.0, y, 8.5, false, Ink::Text, &version);
        chart::line(s, (LEFT, y + 4.0), (W - LEFT, y + 4.0), Ink::Light);
    }
    y + 22.0
}

/// Wraps at about `width` characters on spaces (the font is not measured; 8 pt DejaVu Sans
/// averages under 4.6 pt per character, so 110 characters fit the text width).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in line.split(' ') {
        let cur = out.last_mut().expect("one line");
        if !cur.is_empty() && cur.len() + word.len() + 1 > width {
            out.push(word.to_owned());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    out
}

/// "Why did it change": the sentences of `why`, wrapped.
fn why_section(s: &mut Surface, r: &DailyReport, mut y: f32) -> f32 {
    text(s, LEFT, y, 10.0, true, Ink::Text, "Why did it change");
    y += 14.0;
    for sentence in &r.why {
        for part in wrap(sentence, 110) {
            if y > H - 60.0 {
                return y;
            }
            text(s, LEFT, y, 8.0, false, Ink::Text, &part);
            y += 11.0;
        }
    }
    y + 8.0
}

/// The five largest money losses, when the client has costs set.
fn losses_section(s: &mut Surface, r: &DailyReport, mut y: f32) -> f32 {
    let Some((currency, top)) = &r.top_losses else {
        return y;
    };
    text(s, LEFT, y, 10.0, true, Ink::Text, "Top losses");
    y += 14.0;
    if top.is_empty() {
        text(s, LEFT, y, 8.0, false, Ink::Text, "No losses this day.");
        y += 11.0;
    }
    for item in top {
        if y > H - 60.0 {
            return y;
        }
        text(
            s,
            LEFT,
            y,
            8.0,
            false,
            Ink::Text,
            &loss_line(currency, item),
        );
        y += 11.0;
    }
    y + 8.0
}

/// Footnotes: each estimated KPI with its inferred inputs, level, confidence and review flag.
fn footnotes(s: &mut Surface, r: &DailyReport, mut y: f32) -> f32 {
    let estimated: Vec<_> = r
        .kpis
        .iter()
        .filter(|(_, k)| k.estimated && k.value.is_some())
        .collect();
    text(s, LEFT, y, 10.0, true, Ink::Text, "Estimated values");
    y += 14.0;
    if estimated.is_empty() {
        text(
            s,
            LEFT,
            y,
            8.0,
            false,
            Ink::Text,
            "Every value of this day is measured (no inferred inputs).",
        );
        y += 12.0;
    }
    for (i, (name, k)) in estimated.iter().enumerate() {
        let inputs = if k.inferred_fields.is_empty() {
            "dataset default".to_owned()
        } else {
            k.inferred_fields.join(", ")
        };
        let review = if k.flag_for_review {
            "; flagged for review"
        } else {
            ""
        };
        let note = format!(
            "[{}] {}: inferred {inputs}; highest inference level {}; confidence {:.2}{review}.",
            i + 1,
            label(name),
            k.inference_level_max,
            k.confidence
        );
        for part in wrap(&note, 110) {
            if y > H - 60.0 {
                return y;
            }
            text(s, LEFT, y, 8.0, false, Ink::Text, &part);
            y += 11.0;
        }
    }
    y += 8.0;
    text(s, LEFT, y, 10.0, true, Ink::Text, "Formula versions");
    y += 14.0;
    let versions: Vec<String> = r
        .kpis
        .iter()
        .map(|(n, k)| {
            format!(
                "{} v{}",
                label(n),
                k.formula_version.map_or("-".into(), |v| v.to_string())
            )
        })
        .collect();
    for part in wrap(&versions.join(", "), 110) {
        text(s, LEFT, y, 8.0, false, Ink::Text, &part);
        y += 11.0;
    }
    y
}

fn trends(s: &mut Surface, r: &DailyReport) {
    text(s, LEFT, 58.0, 14.0, true, Ink::Text, "30-day trends");
    let days = r.trends.first().map_or(0, |t| t.values.len());
    let sub = format!(
        "Daily values for the {days} days ending {}; dashed red line = target.",
        r.date
    );
    text(s, LEFT, 74.0, 8.5, false, Ink::Grey, &sub);
    let (cw, ch) = ((W - 2.0 * LEFT - 20.0) / 2.0, 160.0);
    for (i, t) in r.trends.iter().enumerate() {
        let (col, row) = ((i % 2) as f32, (i / 2) as f32);
        chart::draw(
            s,
            t,
            LEFT + col * (cw + 20.0),
            92.0 + row * (ch + 14.0),
            cw,
            ch,
        );
    }
}

/// Renders the report. CPU only (a few ms); callers run it on a blocking thread.
pub fn render(r: &DailyReport) -> Result<Vec<u8>, String> {
    let mut doc = Document::new();
    let title = format!("Daily KPI Report - {} - {}", r.client.client_name, r.date);
    doc.set_metadata(
        Metadata::new()
            .title(title)
            .creator("KPI Operations".into()),
    );
    let settings = || PageSettings::from_wh(W, H).expect("A4 is a valid size");
    {
        let mut page = doc.start_page_with(settings());
        let mut s = page.surface();
        let y = header(&mut s, r);
        let y = kpi_table(&mut s, r, y);
        let y = why_section(&mut s, r, y);
        let y = losses_section(&mut s, r, y);
        footnotes(&mut s, r, y);
        footer(&mut s, r, 1);
        s.finish();
        page.finish();
    }
    {
        let mut page = doc.start_page_with(settings());
        let mut s = page.surface();
        trends(&mut s, r);
        footer(&mut s, r, 2);
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("PDF: {e:?}"))
}
