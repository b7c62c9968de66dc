#include "api/report/Svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "api/json/ReportText.h"
#include "host/model/Time.h"

namespace xm::report {
namespace {

// The plot area inside every chart's view box (pixels of a 720 × 300 box, scaled by the page).
constexpr double kWidth = 720, kHeight = 300;
constexpr double kLeft = 76, kRight = 16, kTop = 34, kBottom = 64;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

// SVG coordinates: one decimal inside any plot; "%g" beyond, so no figure overflows a buffer.
std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(x) < 1e9 ? "%.1f" : "%g", x);
  return buf;
}

std::string tickText(double v, bool moneyAxis) {
  if (moneyAxis) return shortMoney(v);
  char buf[32];
  if (std::abs(v) >= 1e15)
    std::snprintf(buf, sizeof buf, "%.3g", v);
  else if (std::abs(v) >= 1e4 || v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string exact(double v, bool moneyAxis) {
  if (moneyAxis) return money(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The y range of a chart: includes 0, padded to its outer ticks.
struct YScale {
  double lo = 0.0, hi = 1.0;
  std::vector<double> ticks;
  YScale(double minV, double maxV) {
    minV = std::min(minV, 0.0);
    maxV = std::max(maxV, 0.0);
    if (!(maxV > minV)) maxV = minV + 1.0;
    ticks = niceTicks(minV, maxV, 6);
    lo = std::min(minV, ticks.front());
    hi = std::max(maxV, ticks.back());
  }
  double y(double v) const { return kTop + kPlotH * (hi - v) / (hi - lo); }
};

std::string open(const std::string& id, const std::string& title) {
  return "<figure class=\"fig\"><h3>" + escapeHtml(title) +
         "</h3><svg class=\"chart\" data-chart=\"" + escapeHtml(id) + "\" viewBox=\"0 0 " +
         num(kWidth) + " " + num(kHeight) + "\" role=\"img\" aria-label=\"" + escapeHtml(title) +
         "\">";
}

std::string close(const std::string& caption) {
  std::string s = "</svg>";
  if (!caption.empty()) s += "<figcaption>" + escapeHtml(caption) + "</figcaption>";
  return s + "</figure>";
}

std::string yAxis(const YScale& s, bool moneyAxis, const std::string& title) {
  std::string out;
  for (double t : s.ticks) {
    const std::string y = num(s.y(t));
    out += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + kPlotW) +
           "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
    out += "<text class=\"tick\" x=\"" + num(kLeft - 6) + "\" y=\"" + num(s.y(t) + 4) +
           "\" text-anchor=\"end\">" + escapeHtml(tickText(t, moneyAxis)) + "</text>";
  }
  if (!title.empty()) {
    out += "<text class=\"axis-title\" transform=\"translate(14 " + num(kTop + kPlotH / 2) +
           ") rotate(-90)\" text-anchor=\"middle\">" + escapeHtml(title) + "</text>";
  }
  return out;
}

// Legend entries along the top right, a coloured square and a name each.
std::string legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  double x = kWidth - kRight;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const double w = 18 + 6.6 * static_cast<double>(it->first.size());
    x -= w;
    out += "<rect class=\"key\" x=\"" + num(x) + "\" y=\"10\" width=\"10\" height=\"10\" fill=\"" +
           escapeHtml(it->second) + "\"/><text class=\"tick\" x=\"" + num(x + 14) + "\" y=\"19\">" +
           escapeHtml(it->first) + "</text>";
  }
  return out;
}

std::string rect(double x, double y, double w, double h, const std::string& color,
                 const std::string& title) {
  return "<rect class=\"bar\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" +
         num(std::max(w, 0.0)) + "\" height=\"" + num(std::max(h, 0.5)) + "\" fill=\"" +
         escapeHtml(color) + "\"><title>" + escapeHtml(title) + "</title></rect>";
}

}  // namespace

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string money(double x) {
  if (!std::isfinite(x)) return "\u2013";
  char buf[64];
  // From a quadrillion up, digits say nothing a reader can use (and 1e300 has 301 of them).
  if (std::abs(x) >= 1e15) {
    std::snprintf(buf, sizeof buf, "%.3e", x);
    return buf;
  }
  const bool whole = std::abs(x) >= 1000.0;
  const int len = std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.2f", std::abs(x));
  const std::string_view digits(
      buf, std::clamp<size_t>(static_cast<size_t>(std::max(len, 0)), 0, sizeof buf - 1));
  const size_t dot = std::min(digits.find('.'), digits.size());
  const bool zero = digits.find_first_not_of("0.") == std::string_view::npos;
  std::string out;
  out.reserve(digits.size() + digits.size() / 3 + 1);
  if (x < 0 && !zero) out.push_back('-');
  for (size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  out.append(digits.substr(dot));
  return out;
}

std::string count(double x) {
  std::string s = money(std::round(x));
  if (s.size() > 3 && s.compare(s.size() - 3, 3, ".00") == 0) s.resize(s.size() - 3);
  return s;
}

std::string percent(double x, int decimals) {
  if (!std::isfinite(x)) return "\u2013";
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(x) < 1e12 ? "%.*f%%" : "%.*e%%", decimals, 100.0 * x);
  return buf;
}

std::vector<double> niceTicks(double lo, double hi, int count) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(1, count - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  // From the step at or below lo to the one at or above hi, each an exact multiple (no drift
  // from adding steps): the axis spans every value it draws.
  const double first = std::floor(lo / step), last = std::ceil(hi / step);
  std::vector<double> ticks;
  for (double k = first; k <= last; k += 1.0) ticks.push_back(k == 0.0 ? 0.0 : k * step);
  return ticks;
}

std::string barChart(const BarChart& c) {
  const size_t n = c.labels.size();
  double minV = 0.0, maxV = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double up = 0.0, down = 0.0;
    for (const Series& s : c.series) {
      const double v = i < s.values.size() ? s.values[i] : 0.0;
      if (c.stacked) {
        (v >= 0 ? up : down) += v;
      } else {
        up = std::max(up, v);
        down = std::min(down, v);
      }
    }
    maxV = std::max(maxV, up);
    minV = std::min(minV, down);
  }
  const YScale y(minV, maxV);
  std::string out = open(c.id, c.title) + yAxis(y, c.moneyAxis, c.yTitle);
  const double slot = kPlotW / static_cast<double>(std::max<size_t>(n, 1));
  const double groups = c.stacked ? 1.0 : static_cast<double>(std::max<size_t>(c.series.size(), 1));
  const double barW = slot * 0.8 / groups;
  // Category labels: every k-th when they would overlap.
  const size_t every = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(static_cast<double>(n) * 7.0 * 8 / kPlotW / 2)));
  for (size_t i = 0; i < n; ++i) {
    const double x0 = kLeft + slot * static_cast<double>(i) + slot * 0.1;
    double up = 0.0, down = 0.0;
    for (size_t k = 0; k < c.series.size(); ++k) {
      const Series& s = c.series[k];
      const double v = i < s.values.size() ? s.values[i] : 0.0;
      const std::string title = c.labels[i] + " · " + s.name + ": " + exact(v, c.moneyAxis);
      if (c.stacked) {
        const double base = v >= 0 ? up : down;
        const double top = base + v;
        out += rect(x0, y.y(std::max(base, top)), barW, std::abs(y.y(base) - y.y(top)), s.color,
                    title);
        (v >= 0 ? up : down) = top;
      } else {
        const double x = x0 + barW * static_cast<double>(k);
        out += rect(x, y.y(std::max(v, 0.0)), barW, std::abs(y.y(0.0) - y.y(v)), s.color, title);
      }
    }
    if (i % every == 0) {
      const double cx = kLeft + slot * (static_cast<double>(i) + 0.5);
      out += "<text class=\"tick\" x=\"" + num(cx) + "\" y=\"" + num(kTop + kPlotH + 14) +
             "\" text-anchor=\"end\" transform=\"rotate(-30 " + num(cx) + " " +
             num(kTop + kPlotH + 14) + ")\">" + escapeHtml(c.labels[i]) + "</text>";
    }
  }
  out += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + kPlotW) + "\" y1=\"" +
         num(y.y(0.0)) + "\" y2=\"" + num(y.y(0.0)) + "\"/>";
  // Each rule's label a line below the one before, so labels of nearby rules never overlap.
  for (size_t k = 0; k < c.rules.size(); ++k) {
    const Rule& r = c.rules[k];
    const double x = kLeft + slot * std::clamp(r.at, 0.0, static_cast<double>(n));
    out += "<line class=\"rule\" x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop) +
           "\" y2=\"" + num(kTop + kPlotH) + "\" stroke=\"" + escapeHtml(r.color) + "\"><title>" +
           escapeHtml(r.label) + "</title></line><text class=\"rule-label\" x=\"" + num(x + 4) +
           "\" y=\"" + num(kTop + 12 + 14 * static_cast<double>(k)) + "\" fill=\"" +
           escapeHtml(r.color) + "\">" + escapeHtml(r.label) + "</text>";
  }
  if (c.series.size() > 1) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const Series& s : c.series) entries.emplace_back(s.name, s.color);
    out += legend(entries);
  }
  return out + close(c.caption);
}

std::string hbarChart(const HBarChart& c) {
  const size_t n = c.labels.size();
  double minV = 0.0, maxV = 0.0;
  for (double v : c.values) {
    minV = std::min(minV, v);
    maxV = std::max(maxV, v);
  }
  if (!(maxV > minV)) maxV = minV + 1.0;
  const std::vector<double> ticks = niceTicks(minV, maxV, 6);
  const double lo = std::min(minV, ticks.front()), hi = std::max(maxV, ticks.back());
  // Labels on the left need room: the plot starts at a third of the width.
  const double left = 230, plotW = kWidth - left - kRight;
  auto xOf = [&](double v) { return left + plotW * (v - lo) / (hi - lo); };
  const double rowH = std::min(26.0, kPlotH / static_cast<double>(std::max<size_t>(n, 1)));
  std::string out = open(c.id, c.title);
  for (double t : ticks) {
    out += "<line class=\"grid\" x1=\"" + num(xOf(t)) + "\" x2=\"" + num(xOf(t)) + "\" y1=\"" +
           num(kTop) + "\" y2=\"" + num(kTop + rowH * static_cast<double>(n)) +
           "\"/><text class=\"tick\" x=\"" + num(xOf(t)) + "\" y=\"" +
           num(kTop + rowH * static_cast<double>(n) + 14) + "\" text-anchor=\"middle\">" +
           escapeHtml(tickText(t, c.moneyAxis)) + "</text>";
  }
  for (size_t i = 0; i < n; ++i) {
    const double v = i < c.values.size() ? c.values[i] : 0.0;
    const double yTop = kTop + rowH * static_cast<double>(i);
    std::string label = c.labels[i];
    if (label.size() > 34) label = label.substr(0, 33) + "\u2026";
    out += "<text class=\"tick\" x=\"" + num(left - 6) + "\" y=\"" + num(yTop + rowH * 0.65) +
           "\" text-anchor=\"end\">" + escapeHtml(label) + "</text>";
    out += rect(std::min(xOf(0.0), xOf(v)), yTop + rowH * 0.15, std::abs(xOf(v) - xOf(0.0)),
                rowH * 0.7, v >= 0 ? "#c0504d" : "#4f81bd",
                c.labels[i] + ": " + exact(v, c.moneyAxis));
  }
  out += "<line class=\"axis\" x1=\"" + num(xOf(0.0)) + "\" x2=\"" + num(xOf(0.0)) + "\" y1=\"" +
         num(kTop) + "\" y2=\"" + num(kTop + rowH * static_cast<double>(n)) + "\"/>";
  return out + close(c.caption);
}

std::string lineChart(const LineChart& c) {
  const size_t n = c.x.size();
  double minV = 0.0, maxV = 0.0;
  for (const Series& s : c.series) {
    for (double v : s.values) {
      if (!std::isfinite(v)) continue;
      minV = std::min(minV, v);
      maxV = std::max(maxV, v);
    }
  }
  for (const Marker& m : c.markers) {
    minV = std::min(minV, m.y);
    maxV = std::max(maxV, m.y);
  }
  const YScale y(minV, maxV);
  const double x0 = n ? c.x.front() : 0.0, x1 = n > 1 ? c.x.back() : x0 + 1.0;
  auto xOf = [&](double v) { return kLeft + kPlotW * (v - x0) / (x1 - x0); };
  std::string out = open(c.id, c.title) + yAxis(y, c.moneyAxis, "");
  // Date ticks: about six, at whole days.
  for (double t : niceTicks(x0, x1, 7)) {
    if (t < x0 || t > x1) continue;
    const long long day = static_cast<long long>(std::llround(t));
    out += "<text class=\"tick\" x=\"" + num(xOf(t)) + "\" y=\"" + num(kTop + kPlotH + 16) +
           "\" text-anchor=\"middle\">" + escapeHtml(formatDate(day)) + "</text>";
  }
  std::vector<std::pair<std::string, std::string>> entries;
  for (const Series& s : c.series) {
    std::string d;
    bool pen = false;
    for (size_t i = 0; i < n && i < s.values.size(); ++i) {
      if (!std::isfinite(s.values[i])) {
        pen = false;
        continue;
      }
      d.push_back(pen ? 'L' : 'M');
      d.append(num(xOf(c.x[i]))).append(" ").append(num(y.y(s.values[i])));
      pen = true;
    }
    out += "<path class=\"line\" d=\"" + d + "\" stroke=\"" + escapeHtml(s.color) +
           "\" fill=\"none\"><title>" + escapeHtml(s.name) + "</title></path>";
    entries.emplace_back(s.name, s.color);
  }
  for (const Marker& m : c.markers) {
    const MarkerKind& k = c.markerKinds.at(static_cast<size_t>(m.kind));
    out += "<circle class=\"marker " + escapeHtml(k.name) + "\" cx=\"" + num(xOf(m.x)) +
           "\" cy=\"" + num(y.y(m.y)) + "\" r=\"3.5\" fill=\"" + escapeHtml(k.color) +
           "\"><title>" + escapeHtml(m.title) + "</title></circle>";
  }
  for (const MarkerKind& k : c.markerKinds) entries.emplace_back(k.label, k.color);
  out += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + kPlotW) + "\" y1=\"" +
         num(y.y(0.0)) + "\" y2=\"" + num(y.y(0.0)) + "\"/>";
  out += legend(entries);
  return out + close(c.caption);
}

}  // namespace xm::report
