//! The report e-mail (operations.md §6): subject `Daily KPI Report - <client> - <Month DD, YYYY>`,
//! a text and an HTML body with the KPI table (value, target, status, estimated mark), the "why
//! did it change" summary and a dashboard link. Bodies are built here once, when the message is queued.
use crate::reports::{DailyReport, format_value, label, loss_line, number, status_label};

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
    out.push_str("\nWhy did it change\n");
    for sentence in &r.why {
        out.push_str(&format!("- {sentence}\n"));
    }
    if let Some((currency, top)) = &r.top_losses {
        out.push_str("\nTop losses\n");
        for item in top {
            out.push_str(&format!("- {}\n", loss_line(currency, item)));
        }
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
    out.push_str("</table><h3>Why did it change</h3><ul>");
    for sentence in &r.why {
        out.push_str(&format!("<li>{}</li>", esc(sentence)));
    }
    out.push_str("</ul>");
    if let Some((currency, top)) = &r.top_losses {
        out.push_str("<h3>Top losses</h3><ul>");
        for item in top {
            out.push_str(&format!("<li>{}</li>", esc(&loss_line(currency, item))));
        }
        out.push_str("</ul>");
    }
    out.push_str(&format!(
        "<p>The PDF report is attached. <a href=\"{0}/\">Open the dashboard</a></p></body></html>",
        esc(dashboard)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::ReportClient;

    #[test]
    fn bodies_carry_the_why_summary_escaped_in_html() {
        let r = DailyReport {
            client: ReportClient {
                client_id: "L-1".into(),
                client_name: "Line <1>".into(),
                timezone: "UTC".into(),
            },
            date: chrono::NaiveDate::from_ymd_opt(2025, 12, 15).unwrap(),
            generated_at: "2025-12-16T08:00:00Z".into(),
            kpis: vec![],
            trends: vec![],
            why: vec![
                "Compared with 2025-12-14:".into(),
                "OEE fell 4.2 points (80% → 75.8%) & more.".into(),
            ],
            top_losses: Some((
                "EUR".into(),
                vec![crate::services::losses::LossItem {
                    category: "speed",
                    group_by: "product_id",
                    group: "P-1".into(),
                    amount: 1200.0,
                    estimated: true,
                }],
            )),
        };
        let text = text(&r, "https://kpi.example.com");
        assert!(text.contains("Why did it change\n- Compared with 2025-12-14:\n- OEE fell"));
        let html = html(&r, "https://kpi.example.com");
        assert!(html.contains("<h3>Why did it change</h3><ul><li>Compared with 2025-12-14:</li>"));
        assert!(html.contains("<li>OEE fell 4.2 points (80% → 75.8%) &amp; more.</li>"));
        assert!(html.contains("Line &lt;1&gt;"));
        assert!(text.contains("Top losses\n- Speed loss, product P-1: 1200.00 EUR (estimated)\n"));
        assert!(html.contains(
            "<h3>Top losses</h3><ul><li>Speed loss, product P-1: 1200.00 EUR (estimated)</li>"
        ));
    }
}
