//! The report's drawing kit: a few SVG primitives, linear scales, and axis ticks that land on round numbers and
//! on round IST minutes. The charts are written by hand rather than through a plotting crate so that every mark
//! can carry a class and a hover title (the report has no script), every label stays horizontal, and a test can
//! read a mark's position back and check it against the axis labels drawn beside it (`read`). Where the ticks
//! fall is `ticks`'s business.

mod ticks;

pub use ticks::{count_ticks, hhmm, nice_ticks, placed, time_ticks};

use std::fmt::Write;

/// Every chart's width in pixels: the page's column.
pub const WIDTH: f64 = 960.0;

/// How the chart classes look, for the page's `<style>`; kept here so the classes and their looks stay together.
pub const STYLE: &str = "svg.chart{display:block;max-width:100%;height:auto;background:#fff}\
.chart .grid{stroke:#ececec}.chart .axis{stroke:#999}.chart .zero{stroke:#777;stroke-dasharray:4 3}\
.chart .tick{fill:#555;font-size:11px}.chart .heading{font-size:14px;font-weight:bold;fill:#222}\
.chart .caption{fill:#555}.chart .up{fill:#43a047}.chart .down{fill:#e53935}\
.chart .wick{stroke:#8a8a8a}.chart .candle.up{fill:#a5d6a7;stroke:#2e7d32}\
.chart .candle.down{fill:#ef9a9a;stroke:#c62828}.chart .held{fill:#e8f0fb}\
.chart .stop{fill:none;stroke:#c62828;stroke-width:2}.chart .target{stroke:#2e7d32;stroke-width:2;stroke-dasharray:7 4}\
.chart .entry{fill:#1565c0;stroke:#fff}.chart .exit{fill:#212121;stroke:#fff}\
.chart .mark-label{font-size:11px;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px}\
.chart .mark-label.stop{fill:#c62828}.chart .mark-label.target{fill:#2e7d32}.chart .mark-label.entry{fill:#1565c0}\
.chart .mark-label.exit{fill:#212121}.chart .equity{fill:none;stroke:#1565c0;stroke-width:2}\
.chart .point{fill:#1565c0}.chart .lane{fill:#f6f6f6}.chart .lane.odd{fill:#ececec}\
.chart .lane-label{fill:#333}.chart .bar{fill:#757575}.chart .state-starting{fill:#9e9e9e}\
.chart .state-streaming{fill:#43a047}.chart .state-polling{fill:#fbc02d}\
.chart .state-reconnecting{fill:#ef6c00}.chart .state-auth_failed{fill:#b71c1c}";

/// A linear map from values to pixels.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Scale {
        Scale { domain, range }
    }

    pub fn at(&self, value: f64) -> f64 {
        let ((d0, d1), (r0, r1)) = (self.domain, self.range);
        if (d1 - d0).abs() < f64::EPSILON {
            return (r0 + r1) / 2.0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// The plot area, in pixels from the picture's top left.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One picture being written. Text is centred vertically on its y, so a label's y is where it reads.
pub struct Svg {
    out: String,
}

impl Svg {
    pub fn new(height: f64, label: &str) -> Svg {
        Svg {
            out: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{WIDTH}\" height=\"{height}\" \
                 viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\" \
                 font-size=\"12\">",
                escape(label)
            ),
        }
    }

    /// Closes an element, with `title` as its hover text.
    fn end(&mut self, tag: &str, title: Option<&str>) {
        match title {
            Some(title) => {
                let _ = write!(self.out, "><title>{}</title></{tag}>", escape(title));
            }
            None => self.out.push_str("/>"),
        }
    }

    pub fn rect(
        &mut self,
        class: &str,
        (x, y): (f64, f64),
        (w, h): (f64, f64),
        title: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            px(x),
            px(y),
            px(w.max(0.0)),
            px(h.max(0.0))
        );
        self.end("rect", title);
    }

    pub fn line(&mut self, class: &str, from: (f64, f64), to: (f64, f64), title: Option<&str>) {
        let _ = write!(
            self.out,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"",
            px(from.0),
            px(from.1),
            px(to.0),
            px(to.1)
        );
        self.end("line", title);
    }

    pub fn polyline(&mut self, class: &str, points: &[(f64, f64)], title: Option<&str>) {
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
            .collect();
        let _ = write!(
            self.out,
            "<polyline class=\"{class}\" points=\"{}\"",
            points.join(" ")
        );
        self.end("polyline", title);
    }

    pub fn circle(&mut self, class: &str, (x, y): (f64, f64), r: f64, title: Option<&str>) {
        let _ = write!(
            self.out,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{r}\"",
            px(x),
            px(y)
        );
        self.end("circle", title);
    }

    /// A marker centred on `at`: the path starts there (`M x,y`), so its point can be read back.
    pub fn marker(&mut self, class: &str, at: (f64, f64), shape: &str, title: Option<&str>) {
        let _ = write!(
            self.out,
            "<path class=\"{class}\" d=\"M{},{} {shape}\"",
            px(at.0),
            px(at.1)
        );
        self.end("path", title);
    }

    pub fn text(&mut self, class: &str, (x, y): (f64, f64), anchor: Anchor, text: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = write!(
            self.out,
            "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\">{}</text>",
            px(x),
            px(y),
            escape(text)
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// Pixels to a tenth, which is finer than a screen shows and keeps the file small.
fn px(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    format!("{}", rounded + 0.0)
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Grid lines across the frame and a label left of it at each tick, given as (pixel, label).
pub fn y_axis(svg: &mut Svg, frame: Frame, ticks: &[(f64, String)]) {
    for (y, label) in ticks {
        let y = *y;
        svg.line("grid", (frame.left, y), (frame.right, y), None);
        svg.text("tick y-tick", (frame.left - 6.0, y), Anchor::End, label);
    }
    svg.line(
        "axis",
        (frame.left, frame.top),
        (frame.left, frame.bottom),
        None,
    );
}

/// Grid lines down the frame and a label under it at each tick, given as (pixel, label).
pub fn x_axis(svg: &mut Svg, frame: Frame, ticks: &[(f64, String)]) {
    for (x, label) in ticks {
        let x = *x;
        svg.line("grid", (x, frame.top), (x, frame.bottom), None);
        svg.text(
            "tick x-tick",
            (x, frame.bottom + 14.0),
            Anchor::Middle,
            label,
        );
    }
    svg.line(
        "axis",
        (frame.left, frame.bottom),
        (frame.right, frame.bottom),
        None,
    );
}

#[cfg(test)]
pub mod read;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_pictures_read_back() {
        let mut svg = Svg::new(100.0, "a <b>");
        svg.text("tick y-tick", (10.0, 20.0), Anchor::End, "P&L");
        svg.marker("mark entry", (3.25, 4.0), "m0,-5 l5,9 h-10 z", Some("x"));
        let svg = svg.finish();
        assert!(svg.contains("aria-label=\"a &lt;b&gt;\""));
        let text = &read::elements(&svg, "text")[0];
        assert_eq!(text["text"], "P&amp;L");
        assert_eq!(read::number(text, "y"), 20.0);
        let mark = &read::elements(&svg, "path")[0];
        assert_eq!(read::marker_point(mark), (3.3, 4.0));
    }
}
