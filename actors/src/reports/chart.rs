//! Vector trend charts for the daily PDF: a framed line chart of daily values with the target
//! as a dashed line. Days without data break the line (no invented values).
use super::{Trend, fonts, label, number};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::TextDirection;

/// Colours (rgb::Color::new is not const).
#[derive(Clone, Copy)]
pub enum Ink {
    Text,
    Grey,
    Light,
    Blue,
    Red,
    Amber,
    Green,
}

impl Ink {
    pub fn rgb(self) -> rgb::Color {
        match self {
            Ink::Text => rgb::Color::new(20, 20, 20),
            Ink::Grey => rgb::Color::new(120, 120, 120),
            Ink::Light => rgb::Color::new(215, 215, 215),
            Ink::Blue => rgb::Color::new(31, 97, 171),
            Ink::Red => rgb::Color::new(190, 40, 40),
            Ink::Amber => rgb::Color::new(205, 130, 0),
            Ink::Green => rgb::Color::new(30, 130, 60),
        }
    }
}

pub fn fill(s: &mut Surface, color: Ink) {
    s.set_fill(Some(Fill {
        paint: color.rgb().into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
}

pub fn stroke(s: &mut Surface, color: Ink, width: f32, dashed: bool) {
    s.set_stroke(Some(Stroke {
        paint: color.rgb().into(),
        width,
        dash: dashed.then(|| StrokeDash {
            array: vec![3.0, 2.0],
            offset: 0.0,
        }),
        ..Default::default()
    }));
}

pub fn text(s: &mut Surface, x: f32, y: f32, size: f32, bold: bool, color: Ink, t: &str) {
    fill(s, color);
    s.set_stroke(None);
    let font = if bold { &fonts::BOLD } else { &fonts::REGULAR };
    s.draw_text(
        Point::from_xy(x, y),
        (*font).clone(),
        size,
        t,
        false,
        TextDirection::Auto,
    );
}

pub fn line(s: &mut Surface, (x1, y1): (f32, f32), (x2, y2): (f32, f32), color: Ink) {
    let mut pb = PathBuilder::new();
    pb.move_to(x1, y1);
    pb.line_to(x2, y2);
    if let Some(p) = pb.finish() {
        s.set_fill(None);
        stroke(s, color, 0.6, false);
        s.draw_path(&p);
    }
}

/// Draws one chart in the box (x, y, w, h), y growing downwards.
pub fn draw(s: &mut Surface, t: &Trend, x: f32, y: f32, w: f32, h: f32) {
    text(s, x, y + 9.0, 9.0, true, Ink::Text, label(&t.kpi));
    let (px, py, pw, ph) = (x + 34.0, y + 16.0, w - 40.0, h - 30.0);
    let values: Vec<f64> = t.values.iter().flatten().copied().collect();
    // Frame
    s.set_fill(None);
    stroke(s, Ink::Light, 0.6, false);
    let mut pb = PathBuilder::new();
    if let Some(r) = krilla::geom::Rect::from_xywh(px, py, pw, ph) {
        pb.push_rect(r);
    }
    if let Some(p) = pb.finish() {
        s.draw_path(&p);
    }
    let last = t.from + chrono::Days::new(t.values.len().saturating_sub(1) as u64);
    text(
        s,
        px,
        py + ph + 9.0,
        6.5,
        false,
        Ink::Grey,
        &t.from.format("%b %d").to_string(),
    );
    text(
        s,
        px + pw - 26.0,
        py + ph + 9.0,
        6.5,
        false,
        Ink::Grey,
        &last.format("%b %d").to_string(),
    );
    if values.is_empty() {
        text(
            s,
            px + 8.0,
            py + ph / 2.0,
            7.5,
            false,
            Ink::Grey,
            "No data for this period",
        );
        return;
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if let Some(target) = t.target {
        lo = lo.min(target);
        hi = hi.max(target);
    }
    if (hi - lo).abs() < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    // Never below zero for values that cannot be negative (percentages, ppm, hours).
    let floor = if lo >= 0.0 { 0.0 } else { f64::NEG_INFINITY };
    let (lo, hi) = ((lo - pad).max(floor), hi + pad);
    text(s, x, py + 6.0, 6.5, false, Ink::Grey, &number(hi));
    text(s, x, py + ph, 6.5, false, Ink::Grey, &number(lo));
    let n = t.values.len().max(2) as f32 - 1.0;
    let at = |i: usize, v: f64| {
        (
            px + pw * i as f32 / n,
            py + ph - ph * ((v - lo) / (hi - lo)) as f32,
        )
    };
    if let Some(target) = t.target {
        let (_, ty) = at(0, target);
        let mut pb = PathBuilder::new();
        pb.move_to(px, ty);
        pb.line_to(px + pw, ty);
        if let Some(p) = pb.finish() {
            s.set_fill(None);
            stroke(s, Ink::Red, 0.7, true);
            s.draw_path(&p);
        }
    }
    // The series: a segment joins two consecutive days with data; lone days get a dot.
    let mut pb = PathBuilder::new();
    let mut open = false;
    for (i, v) in t.values.iter().enumerate() {
        match v {
            Some(v) => {
                let (cx, cy) = at(i, *v);
                if open {
                    pb.line_to(cx, cy);
                } else {
                    pb.move_to(cx, cy);
                    open = true;
                }
            }
            None => open = false,
        }
    }
    if let Some(p) = pb.finish() {
        s.set_fill(None);
        stroke(s, Ink::Blue, 1.2, false);
        s.draw_path(&p);
    }
    fill(s, Ink::Blue);
    s.set_stroke(None);
    for (i, v) in t.values.iter().enumerate() {
        if let Some(v) = v {
            let (cx, cy) = at(i, *v);
            let mut pb = PathBuilder::new();
            if let Some(r) = krilla::geom::Rect::from_xywh(cx - 1.2, cy - 1.2, 2.4, 2.4) {
                pb.push_rect(r);
            }
            if let Some(p) = pb.finish() {
                s.draw_path(&p);
            }
        }
    }
}
