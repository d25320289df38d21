//! The report e-mail (operations.md §6): subject `Daily KPI Report - <client> - <Month DD, YYYY>`,
//! a text and an HTML body with the KPI table (value, target, status, estimated mark) and a
//! dashboard link. Bodies are built here once, when the message is queued.
use crate::reports::{DailyReport, format_value, label, number, status_label};

pub fn subject(r: &DailyReport) -> String {
    format!(
        "Daily KPI Report - {} - {}",
        r.client.client_name,
        r.date.format("%B %d, %Y")
    )
}

fn rows(r: &DailyReport) -> Vec<[String; 4]> {
    r.kpis
        .iter()
        .map(|(name, k)| {
            let mark = if k.estimated && k.value.is_some() {
                " (estimated)"
            } else {
                ""
            };
            [
                label(name).to_owned(),
                format!("{}{mark}", format_value(k)),
                k.target.map_or("-".into(), number),
                status_label(k.status).to_owned(),
            ]
        })
        .collect()
}

pub fn text(r: &DailyReport, dashboard: &str) -> String {
    let mut out = format!(
        "Daily KPI report for {} ({}), production day {}.\n\n",
        r.client.client_name, r.client.client_id, r.date
    );
    for [kpi, value, target, status] in rows(r) {
        out.push_str(&format!(
            "{kpi:<18} {value:<28} target {target:<8} {status}\n"
        ));
    }
    out.push_str(&format!(
        "\nThe PDF report is attached. Dashboard: {dashboard}/\n"
    ));
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn html(r: &DailyReport, dashboard: &str) -> String {
    let mut out = format!(
        "<html><body><h2>Daily KPI Report</h2><p>{} ({}), production day {}</p>\
         <table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>KPI</th><th>Value</th><th>Target</th><th>Status</th></tr>",
        esc(&r.client.client_name),
        esc(&r.client.client_id),
        r.date
    );
    for cells in rows(r) {
        out.push_str("<tr>");
        for c in cells {
            out.push_str(&format!("<td>{}</td>", esc(&c)));
        }
        out.push_str("</tr>");
    }
    out.push_str(&format!(
        "</table><p>The PDF report is attached. <a href=\"{0}/\">Open the dashboard</a></p></body></html>",
        esc(dashboard)
    ));
    out
}
