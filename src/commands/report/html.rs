//! The report as one HTML file: its style and its three charts inline (SVG drawn here), no
//! script, no font and nothing fetched, so it opens the same from a mail attachment, a
//! web server or a disk, years later. Every text from a feed or the config is escaped.

use super::{Group, Report};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use std::fmt::Write;

const STYLE: &str =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}table{border-collapse:collapse;width:100%}\
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}\
svg{display:block;margin:.5em 0}.muted{color:#777}";

/// The whole page.
pub(super) fn render(r: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024 + r.articles.len() * 200);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Encore report</title><style>{STYLE}</style></head><body>\
         <h1>Encore report</h1><p class=\"muted\">{} to {} ({}): {} shares, {} engagement (likes, reposts, replies, quotes) read back at {}.</p>",
        r.since.format("%Y-%m-%d"),
        r.until.format("%Y-%m-%d"),
        text(&r.timezone),
        r.shares,
        r.engagement,
        text(&r.ages.join(" and "))
    );
    h.push_str("<h2>Shares per day</h2>");
    calendar(&mut h, &r.days);
    h.push_str("<h2>Engagement per share, by article (best and worst ten)</h2>");
    articles_chart(&mut h, r);
    h.push_str("<h2>Engagement per share, by hour of day</h2>");
    hours_chart(&mut h, &r.hours);
    tables(&mut h, r);
    h.push_str("</body></html>\n");
    h
}

/// Weeks as columns, days as rows, darker for more shares.
fn calendar(h: &mut String, days: &[(String, usize)]) {
    const CELL: usize = 12;
    let weeks = days.len().div_ceil(7).max(1);
    let most = days.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let _ = write!(
        h,
        "<svg id=\"calendar\" role=\"img\" aria-label=\"shares per day\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {0} {1}\">",
        weeks * (CELL + 2),
        7 * (CELL + 2)
    );
    for (i, (day, n)) in days.iter().enumerate() {
        let shade = if *n == 0 {
            235
        } else {
            200 - (150 * n / most) as i64
        };
        let _ = write!(
            h,
            "<rect x=\"{}\" y=\"{}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"rgb({shade},{},{})\"><title>{}: {n}</title></rect>",
            (i / 7) * (CELL + 2),
            (i % 7) * (CELL + 2),
            shade + 20,
            if *n == 0 { 235 } else { 255 },
            text(day)
        );
    }
    h.push_str("</svg>");
}

/// Horizontal bars: the ten best articles per share, then the ten worst.
fn articles_chart(h: &mut String, r: &Report) {
    const ROW: usize = 18;
    let per = |a: &super::ArticleLine| a.at_ages.last().map_or(0.0, |x| x.1);
    let n = r.articles.len();
    let mut shown: Vec<&super::ArticleLine> = r.articles.iter().take(10).collect();
    shown.extend(r.articles.iter().skip(n.saturating_sub(10).max(10)));
    let most = shown.iter().map(|a| per(a)).fold(0.0, f64::max).max(1.0);
    let _ = write!(
        h,
        "<svg id=\"articles\" role=\"img\" aria-label=\"engagement per share by article\" width=\"900\" height=\"{}\" viewBox=\"0 0 900 {0}\">",
        shown.len().max(1) * ROW
    );
    for (i, a) in shown.iter().enumerate() {
        let w = (per(a) / most * 480.0).round().max(1.0);
        let y = i * ROW;
        let label: String = a.title.chars().take(48).collect();
        let label = if label.is_empty() {
            a.url.clone()
        } else {
            label
        };
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"380\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#3b7dd8\"><title>{}: {:.1} per share, {} shares</title></rect>",
            y + 13,
            text(&label),
            y + 3,
            ROW - 5,
            attr(&a.url),
            per(a),
            a.shares
        );
    }
    h.push_str("</svg>");
}

/// 24 vertical bars.
fn hours_chart(h: &mut String, hours: &[Group]) {
    let most = hours
        .iter()
        .map(|g| g.per_share)
        .fold(0.0, f64::max)
        .max(1.0);
    h.push_str("<svg id=\"hours\" role=\"img\" aria-label=\"engagement per share by hour\" width=\"720\" height=\"140\" viewBox=\"0 0 720 140\">");
    for (i, g) in hours.iter().enumerate() {
        let bar = (g.per_share / most * 110.0).round();
        let _ = write!(
            h,
            "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"{bar}\" fill=\"#e07b39\"><title>{}: {:.1} per share, {} shares</title></rect><text x=\"{}\" y=\"136\" font-size=\"10\">{i:02}</text>",
            i * 30,
            120.0 - bar,
            text(&g.name),
            g.per_share,
            g.shares,
            i * 30 + 5
        );
    }
    h.push_str("</svg>");
}

/// The tables: every article, the networks, the weekdays, the retired articles, the spend.
fn tables(h: &mut String, r: &Report) {
    let ages: String = r
        .ages
        .iter()
        .map(|a| format!("<th>at {}</th>", text(a)))
        .collect();
    let _ = write!(
        h,
        "<h2>Articles</h2><table><tr><th>article</th><th>shares</th>{ages}<th>trend</th></tr>"
    );
    for a in &r.articles {
        let cells: String = a
            .at_ages
            .iter()
            .map(|(t, p)| format!("<td class=\"n\">{t} ({p:.1})</td>"))
            .collect();
        let title = if a.title.is_empty() { &a.url } else { &a.title };
        let _ = write!(
            h,
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td>{cells}<td>{}</td></tr>",
            attr(&a.url),
            text(title),
            a.shares,
            a.trend
        );
    }
    h.push_str("</table>");
    for (title, groups) in [("Networks", &r.networks), ("Weekdays", &r.weekdays)] {
        let _ = write!(h, "<h2>{title}</h2><table><tr><th></th><th>shares</th><th>engagement</th><th>per share</th></tr>");
        for g in groups.iter() {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
                text(&g.name),
                g.shares,
                g.engagement,
                g.per_share
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Retired articles</h2><table>");
    for x in &r.retired {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&x.account),
            text(&x.url),
            text(&x.why)
        );
    }
    if r.retired.is_empty() {
        h.push_str("<tr><td class=\"muted\">none</td></tr>");
    }
    h.push_str("</table><h2>This month's spend</h2><table>");
    for (account, s) in &r.spend {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", text(account), text(s));
    }
    h.push_str("</table>");
}
