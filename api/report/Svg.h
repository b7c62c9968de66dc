#pragma once
// The report's charts, drawn as inline SVG text: vertical bars (grouped or stacked), signed
// horizontal bars, and lines over time with markers. No script draws them, so a report opens
// anywhere, offline, and prints as it shows.
//
// Every chart is one <svg class="chart" data-chart="ID"> whose marks carry a class the browser
// test counts: rect.bar, path.line, circle.marker, line.rule (a labelled vertical rule).
// Each mark has a <title> (the browser's tooltip) with its exact figure.

#include <string>
#include <string_view>
#include <vector>

namespace xm::report {

// Text for HTML and SVG: & < > " ' escaped (ids are any UTF-8).
std::string escapeHtml(std::string_view text);
// Money for tables: thousands separated, no decimals from 1,000 up, two below ("-1,234,567",
// "12.34"); NaN and infinities as "–".
std::string money(double x);
// A count with thousands separators, rounded to a whole number ("12,345", "7", "-1,024").
std::string count(double x);
// 0.1234 -> "12.3%".
std::string percent(double x, int decimals = 1);

// Axis ticks at 1, 2 or 5 × 10^k covering [lo, hi], at most about `count` of them.
std::vector<double> niceTicks(double lo, double hi, int count);

struct Series {
  std::string name;
  std::vector<double> values;  // one per category (bars) or per x (lines)
  std::string color;           // a CSS colour
};

// A labelled vertical rule at a category position (0 = the first bar's left edge, n = the last
// bar's right edge) or, in a line chart, at an x value.
struct Rule {
  double at = 0.0;
  std::string label;
  std::string color;
};

struct BarChart {
  std::string id, title, caption;
  std::vector<std::string> labels;  // categories along x
  std::vector<Series> series;       // side by side, or stacked (negative values stack down)
  bool stacked = false;
  bool moneyAxis = true;  // y ticks as money (1.2M), else plain numbers
  std::string yTitle;
  std::vector<Rule> rules;
};
std::string barChart(const BarChart& c);

// Signed horizontal bars, one per label (an account's ES contributions: a hedge is negative).
struct HBarChart {
  std::string id, title, caption;
  std::vector<std::string> labels;
  std::vector<double> values;
  bool moneyAxis = true;
};
std::string hbarChart(const HBarChart& c);

struct Marker {
  double x = 0.0, y = 0.0;
  int kind = 0;  // index into LineChart::markerKinds
  std::string title;
};
struct MarkerKind {
  std::string name;  // its CSS class beside "marker" ("exceedance", "breach")
  std::string label, color;
};

// Lines over x (days since the epoch: the axis is labelled with dates).
struct LineChart {
  std::string id, title, caption;
  std::vector<double> x;       // ascending
  std::vector<Series> series;  // values over x
  std::vector<Marker> markers;
  std::vector<MarkerKind> markerKinds;
  bool moneyAxis = true;
};
std::string lineChart(const LineChart& c);

}  // namespace xm::report
