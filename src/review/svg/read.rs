//! Reading a picture back, for tests: each element of a kind with its attributes, a mark's point, and the value
//! at a height as the y axis's own labels read it. Tests check marks through these rather than through the
//! chart's scales, so a chart whose marks and labels disagree fails.

use std::collections::HashMap;

pub type Element = HashMap<String, String>;

/// Every `<tag …>` in `svg`, its attributes by name, and its text (a `<text>`'s words) under `"text"`.
pub fn elements(svg: &str, tag: &str) -> Vec<Element> {
    let open = format!("<{tag} ");
    svg.match_indices(&open)
        .map(|(start, _)| {
            let rest = &svg[start + open.len()..];
            let end = rest.find('>').unwrap();
            let mut element = Element::new();
            let mut attributes = rest[..end].trim_end_matches('/');
            while let Some(eq) = attributes.find("=\"") {
                let name = attributes[..eq].trim().to_string();
                let value_start = eq + 2;
                let value_end = value_start + attributes[value_start..].find('"').unwrap();
                element.insert(name, attributes[value_start..value_end].to_string());
                attributes = &attributes[value_end + 1..];
            }
            let text = &rest[end + 1..];
            if let Some(close) = text.find('<') {
                element.insert("text".into(), text[..close].to_string());
            }
            if let Some(title) = text.strip_prefix("<title>") {
                let close = title.find("</title>").unwrap();
                element.insert("title".into(), title[..close].to_string());
            }
            element
        })
        .collect()
}

pub fn has_class(element: &Element, class: &str) -> bool {
    element
        .get("class")
        .is_some_and(|c| c.split(' ').any(|c| c == class))
}

pub fn number(element: &Element, name: &str) -> f64 {
    element[name].parse().unwrap()
}

/// Where a marker stands: the `M x,y` its path starts with.
pub fn marker_point(element: &Element) -> (f64, f64) {
    let d = &element["d"][1..];
    let point = d.split(' ').next().unwrap();
    let (x, y) = point.split_once(',').unwrap();
    (x.parse().unwrap(), y.parse().unwrap())
}

/// The value at pixel `y` as the y axis's tick labels read it (a straight line through two of them).
pub fn value_at_y(svg: &str, y: f64) -> f64 {
    let ticks: Vec<(f64, f64)> = elements(svg, "text")
        .iter()
        .filter(|t| has_class(t, "y-tick"))
        .map(|t| {
            (
                number(t, "y"),
                t["text"].replace('\u{2212}', "-").parse().unwrap(),
            )
        })
        .collect();
    let ((y0, v0), (y1, v1)) = (ticks[0], ticks[ticks.len() - 1]);
    v0 + (y - y0) / (y1 - y0) * (v1 - v0)
}
