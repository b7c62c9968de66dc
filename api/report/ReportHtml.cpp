// The report's page: sections in the order a risk officer reads the nightly run (README,
// "Reports"). Every figure is text xmargin wrote; the only script sorts tables and counts the
// charts for the browser test (scripts/report-check.sh).

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "api/report/Report.h"
#include "api/report/Svg.h"
#include "host/model/Time.h"

namespace xm::report {
namespace {

constexpr const char *kOk = "#4f9d69", *kCall = "#e0a030", *kLiquidate = "#c0504d";
constexpr const char *kBlue = "#4f81bd", *kGrey = "#8c8c8c", *kPurple = "#8064a2";

constexpr const char* kStyle = R"(
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330}
body{margin:0 auto;max-width:1200px;padding:16px 28px 48px;background:#fafbfc}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;margin:34px 0 8px;border-bottom:1px solid #d6dae1;padding-bottom:4px}
h3{font-size:14px;margin:0 0 4px;font-weight:600}.meta{color:#5a6270;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #d6dae1;border-radius:6px;padding:8px 12px;min-width:128px}
.card .v{font-size:19px;font-weight:600;font-variant-numeric:tabular-nums}.card .k{font-size:12px;color:#5a6270}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:14px}
.fig{margin:0;background:#fff;border:1px solid #d6dae1;border-radius:6px;padding:10px}
figcaption{font-size:12px;color:#5a6270;margin-top:4px}
svg.chart{width:100%;max-width:760px;height:auto;display:block}
svg .tick,svg .rule-label{font-size:11px;fill:#3b4250}svg .axis-title{font-size:11px;fill:#5a6270}
svg .grid{stroke:#eceef2}svg .axis{stroke:#6b7280}svg .rule{stroke-width:2;stroke-dasharray:5 3}
svg .line{stroke-width:1.8}svg rect.bar:hover,svg circle.marker:hover{opacity:.75}
table{border-collapse:collapse;font-size:12.5px;background:#fff;width:100%;font-variant-numeric:tabular-nums}
th,td{border:1px solid #e1e4ea;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#eef1f5;cursor:pointer;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" \25B2"}th.sorted-desc::after{content:" \25BC"}
td.t,th.t{text-align:left}.scroll{max-height:480px;overflow:auto;border:1px solid #d6dae1}
.st-ok{color:#2d7a45}.st-margin_call{color:#a86c00;font-weight:600}.st-liquidate{color:#b02a2a;font-weight:700}
.note{font-size:13px;color:#3b4250;max-width:900px}
)";

// Sorts a table by a clicked header (numbers by their data-v), reports script errors on the body
// and counts the charts that drew something: the browser test reads data-charts, data-rendered
// and data-errors.
constexpr const char* kScript = R"(
window.addEventListener('error',function(){var b=document.body;b.dataset.errors=(+(b.dataset.errors||0))+1;});
document.addEventListener('DOMContentLoaded',function(){
document.querySelectorAll('table.sortable th').forEach(function(th,col){th.addEventListener('click',function(){
var tb=th.closest('table').tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=!th.classList.contains('sorted-asc');
th.parentNode.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
th.classList.add(asc?'sorted-asc':'sorted-desc');
rows.sort(function(a,b){var x=a.cells[col],y=b.cells[col],u=x.dataset.v,v=y.dataset.v;
var c=(u!==undefined&&v!==undefined)?(+u)-(+v):x.textContent.localeCompare(y.textContent);return asc?c:-c;});
rows.forEach(function(r){tb.appendChild(r);});});});
var charts=document.querySelectorAll('svg.chart'),drawn=0,marks=0;
charts.forEach(function(s){var m=s.querySelectorAll('rect.bar,path.line,circle.marker'),ok=false;
m.forEach(function(e){var b=e.getBBox();if(b.width>0||b.height>0)ok=true;});marks+=m.length;if(ok)drawn++;});
var b=document.body;b.dataset.errors=b.dataset.errors||0;b.dataset.charts=charts.length;b.dataset.rendered=drawn;b.dataset.marks=marks;
b.dataset.tables=document.querySelectorAll('table').length;});
)";

std::string card(const std::string& value, const std::string& key) {
  return "<div class=\"card\"><div class=\"v\">" + escapeHtml(value) + "</div><div class=\"k\">" +
         escapeHtml(key) + "</div></div>";
}

std::string plain(double x, int digits = 4) {
  if (!std::isfinite(x)) return "\u2013";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

// A sortable table: a header of (name, numeric?) and rows of cells, each a text and, for
// numeric columns, the value it sorts by.
struct Cell {
  std::string text;
  double value = std::nan("");
  std::string cls;
};
Cell numCell(double v, const std::string& text) { return {text, v, ""}; }
Cell moneyCell(double v) { return {money(v), v, ""}; }
Cell txt(const std::string& t, const std::string& cls = "") { return {t, std::nan(""), cls}; }

std::string table(const std::vector<std::pair<std::string, bool>>& header,
                  const std::vector<std::vector<Cell>>& rows, bool scroll) {
  std::string out = scroll ? "<div class=\"scroll\">" : "<div>";
  out += "<table class=\"sortable\"><thead><tr>";
  for (const auto& [name, numeric] : header)
    out += std::string("<th") + (numeric ? "" : " class=\"t\"") + ">" + escapeHtml(name) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      const Cell& c = row[i];
      const bool numeric = i < header.size() && header[i].second;
      std::string cls = numeric ? c.cls : (c.cls.empty() ? "t" : "t " + c.cls);
      out += "<td";
      if (!cls.empty()) out += " class=\"" + cls + "\"";
      if (numeric && std::isfinite(c.value)) out += " data-v=\"" + plain(c.value, 17) + "\"";
      out += ">" + escapeHtml(c.text) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table></div>";
}

const Json* find(const Json& j, std::initializer_list<const char*> path) {
  const Json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}
double numberAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = find(j, path);
  return v && v->is_number() ? v->get<double>() : std::nan("");
}
std::string textAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = find(j, path);
  if (!v) return "";
  return v->is_string() ? v->get<std::string>() : v->dump();
}

// A histogram of a simulation Distribution as bars, with its 99% quantile marked.
std::string distributionChart(const Json& d, const std::string& id, const std::string& title,
                              const std::string& caption, bool moneyAxis) {
  const Json* h = find(d, {"histogram"});
  if (!h || !h->contains("counts") || !(*h)["counts"].is_array()) return "";
  const double lo = numberAt(*h, {"lo"}), hi = numberAt(*h, {"hi"});
  const Json& counts = (*h)["counts"];
  const size_t n = counts.size();
  if (n == 0 || !std::isfinite(lo) || !std::isfinite(hi)) return "";
  BarChart c{id, title, caption, {}, {{"paths", {}, kBlue}}, false, false, "paths", {}};
  const double width = (hi - lo) / static_cast<double>(n);
  auto label = [&](double v) { return moneyAxis ? money(v) : plain(v, 3); };
  for (size_t i = 0; i < n; ++i) {
    c.labels.push_back(
        label(lo + width * static_cast<double>(i)) +
        (width > 0 ? "\u2013" + label(lo + width * static_cast<double>(i + 1)) : ""));
    c.series[0].values.push_back(counts[i].is_number() ? counts[i].get<double>() : 0.0);
  }
  const double q99 = numberAt(d, {"q99"});
  if (width > 0 && std::isfinite(q99))
    c.rules.push_back({(q99 - lo) / width, "99%: " + label(q99), kLiquidate});
  return barChart(c);
}

}  // namespace

std::string ReportBuilder::html(const std::string& title, const std::string& generated) const {
  std::string body;
  // Header: what run this is.
  body += "<h1>" + escapeHtml(title) + "</h1><p class=\"meta\">Generated " + escapeHtml(generated);
  if (run_) {
    body += " · backend " + escapeHtml(textAt(*run_, {"backend"}));
    const std::string device = textAt(*run_, {"device"});
    if (!device.empty()) body += " (" + escapeHtml(device) + ")";
    body += " · " + count(numberAt(*run_, {"scenarios"})) + " scenarios · seed " +
            escapeHtml(textAt(*run_, {"seed"}));
    if (find(*run_, {"method"})) body += " · method " + escapeHtml(textAt(*run_, {"method"}));
    if (find(*run_, {"sampling"})) body += " · sampling " + escapeHtml(textAt(*run_, {"sampling"}));
    body += " · " + plain(numberAt(*run_, {"elapsed_ms"}), 6) + " ms · xmargin " +
            escapeHtml(textAt(*run_, {"version"}));
  }
  body += "</p>";

  if (accounts_ > 0) {
    // Totals and statuses.
    const double saved = sums_.isolated - sums_.es;
    body += "<h2 id=\"totals\">Totals</h2><div class=\"cards\">" +
            card(count(static_cast<double>(accounts_)), "accounts") +
            card(money(sums_.equity), "equity") + card(money(sums_.im), "initial margin") +
            card(money(sums_.mm), "maintenance margin") +
            card(money(sums_.isolated), "isolated margin") +
            card(money(saved), "saved by cross-margining") +
            card(count(static_cast<double>(sums_.ok)), "ok") +
            card(count(static_cast<double>(sums_.marginCall)), "margin call") +
            card(count(static_cast<double>(sums_.liquidate)), "liquidate") + "</div>";
    body += "<div class=\"grid2\">";
    body += barChart({"status",
                      "Accounts by status",
                      "ok: equity covers IM; margin call: below IM; liquidate: below MM.",
                      {"ok", "margin call", "liquidate"},
                      {{"accounts",
                        {static_cast<double>(sums_.ok), static_cast<double>(sums_.marginCall),
                         static_cast<double>(sums_.liquidate)},
                        kBlue}},
                      false,
                      false,
                      "accounts",
                      {}});
    body += barChart(
        {"margin-saved",
         "Margin saved by cross-margining",
         "Isolated: each position margined alone (the sum of standalone ES). Cross-margined ES: "
         "the portfolio's. Saved: " +
             money(saved) + " (" + percent(sums_.isolated > 0 ? saved / sums_.isolated : 0.0) +
             " of isolated); the sum of diversification benefits " + money(sums_.benefit) + ".",
         {"isolated", "cross-margined ES", "initial margin", "maintenance margin"},
         {{"margin", {sums_.isolated, sums_.es, sums_.im, sums_.mm}, kPurple}},
         false,
         true,
         "",
         {}});
    body += "</div>";

    // Coverage of initial margin.
    BarChart cov{"coverage",
                 "Coverage: equity / initial margin",
                 "",
                 {"< 0"},
                 {{"accounts", {static_cast<double>(coverageBelow_)}, kBlue}},
                 false,
                 false,
                 "accounts",
                 {}};
    for (int i = 0; i < kCoverageBins; ++i) {
      char label[32];
      std::snprintf(label, sizeof label, "%.1f\u2013%.1f", i * kCoverageStep,
                    (i + 1) * kCoverageStep);
      cov.labels.push_back(label);
      cov.series[0].values.push_back(static_cast<double>(coverage_[static_cast<size_t>(i)]));
    }
    char top[16];
    std::snprintf(top, sizeof top, "\u2265 %.1f", kCoverageMax);
    cov.labels.push_back(top);
    cov.series[0].values.push_back(static_cast<double>(coverageAbove_));
    // Category position of coverage c: "< 0" is the first slot.
    auto at = [](double c) { return 1.0 + c / kCoverageStep; };
    cov.rules.push_back({at(1.0), "margin call (1.0)", kCall});
    if (sums_.im > 0) {
      const double liq = sums_.mm / sums_.im;
      cov.rules.push_back({at(liq), "liquidation (MM/IM " + plain(liq, 3) + ")", kLiquidate});
    }
    cov.caption =
        "Accounts with equity below 1.0 × IM get a margin call; below the maintenance "
        "line (MM/IM, the run's ratio) they are liquidated. " +
        count(static_cast<double>(noMargin_)) + " accounts need no margin and are not shown.";
    body += "<h2 id=\"coverage\">Coverage</h2>" + barChart(cov);

    // The riskiest accounts.
    const std::vector<Risky> top100 = riskiest();
    body +=
        "<h2 id=\"riskiest\">Riskiest accounts</h2><p class=\"note\">The " +
        std::to_string(top100.size()) +
        " accounts with the largest ES. Click a column to sort. Below, the first ten's "
        "positions by Euler contribution to ES (a hedge's is negative; they add to the ES).</p>";
    std::vector<std::vector<Cell>> rows;
    for (size_t i = 0; i < top100.size(); ++i) {
      const Risky& r = top100[i];
      const double cover = r.initialMargin > 0 ? r.equity / r.initialMargin : std::nan("");
      rows.push_back({numCell(static_cast<double>(i + 1), std::to_string(i + 1)), txt(r.id),
                      txt(r.status, "st-" + r.status), moneyCell(r.equity), moneyCell(r.es),
                      moneyCell(r.esStderr), moneyCell(r.isolated), moneyCell(r.initialMargin),
                      moneyCell(r.maintenanceMargin), numCell(cover, plain(cover, 3)),
                      numCell(static_cast<double>(r.legs.size()), std::to_string(r.legs.size()))});
    }
    body += table({{"#", true},
                   {"account", false},
                   {"status", false},
                   {"equity", true},
                   {"ES", true},
                   {"ES stderr", true},
                   {"isolated", true},
                   {"IM", true},
                   {"MM", true},
                   {"equity / IM", true},
                   {"legs", true}},
                  rows, true);
    body += "<div class=\"grid2\" style=\"margin-top:14px\">";
    for (size_t i = 0; i < top100.size() && i < 10; ++i) {
      const Risky& r = top100[i];
      std::vector<Leg> legs = r.legs;
      std::sort(legs.begin(), legs.end(), [](const Leg& a, const Leg& b) {
        return std::abs(a.esContribution) > std::abs(b.esContribution) ||
               (std::abs(a.esContribution) == std::abs(b.esContribution) && a.name < b.name);
      });
      HBarChart h{"contrib-" + std::to_string(i + 1),
                  "#" + std::to_string(i + 1) + " " + r.id + ": ES " + money(r.es),
                  "",
                  {},
                  {},
                  true};
      double other = 0.0;
      for (size_t k = 0; k < legs.size(); ++k) {
        if (k < 8 || legs.size() == 9) {
          h.labels.push_back(legs[k].name);
          h.values.push_back(legs[k].esContribution);
        } else {
          other += legs[k].esContribution;
        }
      }
      if (legs.size() > 9) {
        h.labels.push_back(std::to_string(legs.size() - 8) + " other legs");
        h.values.push_back(other);
      }
      h.caption = r.status + " · equity " + money(r.equity) + " · IM " + money(r.initialMargin) +
                  " · isolated " + money(r.isolated);
      body += hbarChart(h);
    }
    body += "</div>";

    // Diversification by account size.
    BarChart div{"diversification",
                 "Diversification by account size",
                 "Accounts by number of legs (positions and collateral). The gap between the "
                 "bars is what cross-margining saves in each group.",
                 {},
                 {{"isolated", {}, kGrey}, {"cross-margined ES", {}, kBlue}},
                 false,
                 true,
                 "",
                 {}};
    std::vector<std::vector<Cell>> divRows;
    for (const auto& [bucket, b] : bySize_) {
      div.labels.push_back(sizeLabel(bucket));
      div.series[0].values.push_back(b.isolated);
      div.series[1].values.push_back(b.margin);
      const double share = b.isolated > 0 ? (b.isolated - b.margin) / b.isolated : 0.0;
      divRows.push_back(
          {txt(sizeLabel(bucket)),
           numCell(static_cast<double>(b.accounts), count(static_cast<double>(b.accounts))),
           moneyCell(b.isolated), moneyCell(b.margin), moneyCell(b.benefit),
           numCell(share, percent(share))});
    }
    body += "<h2 id=\"diversification\">Diversification</h2><div class=\"grid2\">" + barChart(div) +
            table({{"size", false},
                   {"accounts", true},
                   {"isolated", true},
                   {"cross-margined ES", true},
                   {"diversification benefit", true},
                   {"saved", true}},
                  divRows, false) +
            "</div>";

    // Exposure.
    std::vector<std::pair<std::string, AssetExposure>> exp(exposure_.begin(), exposure_.end());
    std::sort(exp.begin(), exp.end(), [](const auto& a, const auto& b) {
      return std::abs(a.second.esContribution) > std::abs(b.second.esContribution) ||
             (std::abs(a.second.esContribution) == std::abs(b.second.esContribution) &&
              a.first < b.first);
    });
    body += "<h2 id=\"exposure\">Exposure</h2><div class=\"grid2\">";
    const size_t shown = std::min<size_t>(exp.size(), 12);
    if (exposureByAsset()) {
      BarChart e{"exposure-notional",
                 "Gross notional by asset",
                 "Long and short notional of every position (and collateral) on each asset, "
                 "in the base currency.",
                 {},
                 {{"long", {}, kOk}, {"short", {}, kLiquidate}},
                 false,
                 true,
                 "",
                 {}};
      for (size_t i = 0; i < shown; ++i) {
        e.labels.push_back(exp[i].first);
        e.series[0].values.push_back(exp[i].second.longNotional);
        e.series[1].values.push_back(exp[i].second.shortNotional);
      }
      body += barChart(e);
    }
    HBarChart ec{"exposure-es",
                 exposureByAsset() ? "ES contribution by asset" : "ES contribution by instrument",
                 exposureByAsset()
                     ? "The sum over accounts of the Euler contributions of each asset's legs."
                     : "The sum over accounts of each instrument's Euler contributions (give the "
                       "request to see exposure by asset).",
                 {},
                 {},
                 true};
    for (size_t i = 0; i < shown; ++i) {
      ec.labels.push_back(exp[i].first);
      ec.values.push_back(exp[i].second.esContribution);
    }
    body += hbarChart(ec) + "</div>";
    std::vector<std::vector<Cell>> expRows;
    for (const auto& [name, e] : exp)
      expRows.push_back({txt(name), moneyCell(e.longNotional), moneyCell(e.shortNotional),
                         moneyCell(e.longNotional + e.shortNotional), moneyCell(e.esContribution)});
    body += table({{exposureByAsset() ? "asset" : "instrument", false},
                   {"long notional", true},
                   {"short notional", true},
                   {"net", true},
                   {"ES contribution", true}},
                  expRows, true);
  }

  // The venues' methods side by side.
  if (totals_ && find(*totals_, {"compare"})) {
    const Json& cmp = (*totals_)["compare"];
    BarChart m{"methods",
               "Margin by method",
               "The same accounts under each margin method the run compared (contract §11).",
               {},
               {{"initial margin", {}, kBlue}, {"maintenance margin", {}, kGrey}},
               false,
               true,
               "",
               {}};
    std::vector<std::vector<Cell>> mRows;
    for (const auto& [name, v] : cmp.items()) {
      const double im = numberAt(v, {"im"}), mm = numberAt(v, {"mm"});
      m.labels.push_back(name);
      m.series[0].values.push_back(im);
      m.series[1].values.push_back(mm);
      mRows.push_back({txt(name), moneyCell(im), moneyCell(mm)});
    }
    body += "<h2 id=\"methods\">Methods compared</h2><div class=\"grid2\">" + barChart(m) +
            table({{"method", false}, {"initial margin", true}, {"maintenance margin", true}},
                  mRows, false) +
            "</div>";
  }

  // The clearing simulation.
  if (simulation_) {
    const Json& s = *simulation_;
    const Json& mc = s["monte_carlo"];
    const double fund0 = numberAt(mc, {"insurance_fund", "start"});
    body +=
        "<h2 id=\"simulation\">Clearing simulation</h2><p class=\"meta\">" +
        count(numberAt(mc, {"paths"})) + " Monte Carlo paths of " + textAt(s, {"steps"}) +
        " steps of " + textAt(s, {"step_hours"}) + " h · loss allocation " +
        escapeHtml(textAt(s, {"loss_allocation"})) + " · backend " +
        escapeHtml(textAt(s, {"backend"})) + "</p><div class=\"cards\">" +
        card(money(fund0), "insurance fund at start") +
        card(money(numberAt(mc, {"insurance_fund", "drawdown", "mean"})), "mean fund drawdown") +
        card(money(numberAt(mc, {"insurance_fund", "drawdown", "q99"})), "99% fund drawdown") +
        card(percent(numberAt(mc, {"insurance_fund", "prob_exhausted"}), 2), "P(fund exhausted)") +
        card(plain(numberAt(mc, {"liquidations", "count", "mean"})), "mean liquidations") +
        card(percent(numberAt(mc, {"adl", "probability"}), 2), "P(ADL)") +
        card(money(numberAt(mc, {"adl", "mean"})), "mean ADL") +
        card(percent(numberAt(mc, {"socialized", "probability"}), 2), "P(socialized loss)") +
        card(money(numberAt(mc, {"socialized", "mean"})), "mean socialized") +
        card(percent(numberAt(mc, {"uncovered", "probability"}), 2), "P(uncovered)") + "</div>";
    body += "<div class=\"grid2\">";
    if (const Json* d = find(mc, {"insurance_fund", "drawdown"}))
      body += distributionChart(*d, "fund-drawdown", "Insurance fund drawdown",
                                "The fund's start less its lowest balance on each path; the rule "
                                "is the 99% quantile.",
                                true);
    if (const Json* d = find(mc, {"liquidations", "count"}))
      body += distributionChart(*d, "liquidation-count", "Liquidations per path",
                                "Accounts liquidated on each Monte Carlo path.", false);
    if (const Json* d = find(mc, {"liquidations", "notional"}))
      body += distributionChart(*d, "liquidation-notional", "Liquidated notional per path",
                                "Notional closed by liquidations on each path.", true);
    body += "</div>";
    const Json& stress = s["stress_paths"];
    if (!stress.empty()) {
      BarChart a{"loss-allocation",
                 "Stress paths: where the deficits went",
                 "Deficits of liquidated accounts, by who bore them: the insurance fund, "
                 "auto-deleveraging, socialized loss, and what was left uncovered.",
                 {},
                 {{"insurance fund", {}, kBlue},
                  {"ADL", {}, kCall},
                  {"socialized", {}, kPurple},
                  {"uncovered", {}, kLiquidate}},
                 true,
                 true,
                 "",
                 {}};
      std::vector<std::vector<Cell>> sRows;
      for (const Json& p : stress) {
        const std::string name = textAt(p, {"name"});
        const double draw = numberAt(p, {"insurance_fund", "draw"}), adl = numberAt(p, {"adl"}),
                     soc = numberAt(p, {"socialized"}), unc = numberAt(p, {"uncovered"});
        a.labels.push_back(name);
        a.series[0].values.push_back(std::isfinite(draw) ? draw : 0.0);
        a.series[1].values.push_back(std::isfinite(adl) ? adl : 0.0);
        a.series[2].values.push_back(std::isfinite(soc) ? soc : 0.0);
        a.series[3].values.push_back(std::isfinite(unc) ? unc : 0.0);
        const Json* liq = find(p, {"liquidations"});
        const double nLiq = liq && liq->is_array() ? static_cast<double>(liq->size()) : 0.0;
        sRows.push_back({txt(name), numCell(nLiq, count(nLiq)),
                         moneyCell(numberAt(p, {"deficits"})), moneyCell(draw), moneyCell(adl),
                         moneyCell(soc), moneyCell(unc),
                         moneyCell(numberAt(p, {"insurance_fund", "lowest"})),
                         moneyCell(numberAt(p, {"insurance_fund", "end"}))});
      }
      body += barChart(a);
      body += table({{"stress path", false},
                     {"liquidations", true},
                     {"deficits", true},
                     {"fund draw", true},
                     {"ADL", true},
                     {"socialized", true},
                     {"uncovered", true},
                     {"fund lowest", true},
                     {"fund end", true}},
                    sRows, false);
    }
  }

  // The backtest.
  if (backtest_) {
    const Json& b = *backtest_;
    body += "<h2 id=\"backtest\">Backtest</h2><p class=\"meta\">" +
            escapeHtml(textAt(b, {"backtest", "start"})) + " to " +
            escapeHtml(textAt(b, {"backtest", "end"})) + " · " +
            textAt(b, {"backtest", "test_days"}) + " days · horizon " +
            textAt(b, {"backtest", "horizon_days"}) + " d · VaR " +
            percent(numberAt(b, {"backtest", "confidence"})) + "</p>";
    std::vector<std::vector<Cell>> rows;
    for (const Json& a : b["accounts"]) {
      const std::string zone = textAt(a, {"zone"});
      rows.push_back(
          {txt(textAt(a, {"id"})), numCell(numberAt(a, {"days"}), textAt(a, {"days"})),
           numCell(numberAt(a, {"var_exceedances"}), textAt(a, {"var_exceedances"})),
           numCell(numberAt(a, {"expected_exceedances"}),
                   plain(numberAt(a, {"expected_exceedances"}), 3)),
           numCell(numberAt(a, {"margin_breaches"}), textAt(a, {"margin_breaches"})),
           numCell(numberAt(a, {"kupiec_p"}), plain(numberAt(a, {"kupiec_p"}), 3)),
           numCell(numberAt(a, {"christoffersen_p"}), plain(numberAt(a, {"christoffersen_p"}), 3)),
           txt(zone, zone == "red"      ? "st-liquidate"
                     : zone == "yellow" ? "st-margin_call"
                                        : "st-ok"),
           moneyCell(numberAt(a, {"mean_margin"})), moneyCell(numberAt(a, {"worst_loss"})),
           txt(textAt(a, {"worst_loss_date"}))});
    }
    body += table({{"account", false},
                   {"days", true},
                   {"VaR exceedances", true},
                   {"expected", true},
                   {"margin breaches", true},
                   {"Kupiec p", true},
                   {"Christoffersen p", true},
                   {"zone", false},
                   {"mean margin", true},
                   {"worst loss", true},
                   {"worst loss date", false}},
                  rows, true);
    // The venues' methods against the same realised losses (backtest --compare): each
    // method's breaches and mean margin per account.
    std::vector<std::string> methodNames, methodAccounts;
    for (const Json& a : b["accounts"]) {
      const Json* methods = find(a, {"methods"});
      if (!methods || !methods->is_object()) continue;
      methodAccounts.push_back(textAt(a, {"id"}));
      for (const auto& [name, v] : methods->items()) {
        if (std::find(methodNames.begin(), methodNames.end(), name) == methodNames.end())
          methodNames.push_back(name);
      }
    }
    if (!methodNames.empty()) {
      static const char* const kMethodColors[] = {kBlue, kCall, kLiquidate, kGrey};
      BarChart mc{"backtest-methods",
                  "Mean margin by method",
                  "Each method's mean initial margin over the days margined (backtest "
                  "--compare); the table gives the days the realised loss exceeded it.",
                  methodAccounts,
                  {},
                  false,
                  true,
                  "",
                  {}};
      std::vector<std::vector<Cell>> mRows;
      for (size_t m = 0; m < methodNames.size(); ++m) {
        Series series{methodNames[m], {}, kMethodColors[m % 4]};
        for (const Json& a : b["accounts"]) {
          const Json* v = find(a, {"methods", methodNames[m].c_str()});
          if (!find(a, {"methods"})) continue;
          series.values.push_back(v ? numberAt(*v, {"mean_margin"}) : 0.0);
          if (v) {
            mRows.push_back(
                {txt(textAt(a, {"id"})), txt(methodNames[m]),
                 numCell(numberAt(*v, {"margin_breaches"}), textAt(*v, {"margin_breaches"})),
                 numCell(numberAt(*v, {"breach_rate"}), percent(numberAt(*v, {"breach_rate"}), 2)),
                 moneyCell(numberAt(*v, {"mean_margin"}))});
          }
        }
        mc.series.push_back(std::move(series));
      }
      body += barChart(mc) + table({{"account", false},
                                    {"method", false},
                                    {"margin breaches", true},
                                    {"breach rate", true},
                                    {"mean margin", true}},
                                   mRows, true);
    }
    // Through time: the accounts with the most exceedances, at most six.
    std::map<std::string, std::vector<const SeriesRow*>> byAccount;
    for (const SeriesRow& r : series_) byAccount[r.account].push_back(&r);
    std::vector<std::pair<int, std::string>> order;
    for (const auto& [id, days] : byAccount) {
      int ex = 0;
      for (const SeriesRow* r : days) ex += r->loss > r->var;
      order.emplace_back(-ex, id);
    }
    std::sort(order.begin(), order.end());
    if (!order.empty()) body += "<div class=\"grid2\" style=\"margin-top:14px\">";
    for (size_t k = 0; k < order.size() && k < 6; ++k) {
      const std::string& id = order[k].second;
      std::vector<const SeriesRow*> days = byAccount[id];
      std::stable_sort(days.begin(), days.end(),
                       [](const SeriesRow* a, const SeriesRow* c) { return a->day < c->day; });
      LineChart l{
          "backtest-" + std::to_string(k + 1),
          id + ": margin and realised loss",
          "",
          {},
          {{"initial margin", {}, kBlue}, {"VaR", {}, kGrey}, {"realised loss", {}, "#333a45"}},
          {},
          {{"exceedance", "loss > VaR", kCall}, {"breach", "loss > IM", kLiquidate}},
          true};
      int exceed = 0, breach = 0;
      for (const SeriesRow* r : days) {
        l.x.push_back(static_cast<double>(r->day));
        l.series[0].values.push_back(r->initialMargin);
        l.series[1].values.push_back(r->var);
        l.series[2].values.push_back(r->loss);
        if (r->loss > r->initialMargin) {
          ++breach;
          l.markers.push_back({static_cast<double>(r->day), r->loss, 1,
                               formatDate(r->day) + ": loss " + money(r->loss) + " > IM " +
                                   money(r->initialMargin)});
        } else if (r->loss > r->var) {
          ++exceed;
          l.markers.push_back(
              {static_cast<double>(r->day), r->loss, 0,
               formatDate(r->day) + ": loss " + money(r->loss) + " > VaR " + money(r->var)});
        }
      }
      l.caption = std::to_string(days.size()) + " days · " + std::to_string(exceed + breach) +
                  " VaR exceedances, " + std::to_string(breach) + " of them margin breaches.";
      body += lineChart(l);
    }
    if (!order.empty()) body += "</div>";
    if (order.size() > 6)
      body += "<p class=\"note\">Charts for the six accounts with the most exceedances of " +
              std::to_string(order.size()) + " in the series.</p>";
  }

  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width,initial-scale=1\"><meta name=\"generator\" "
         "content=\"xmargin\">"
         "<title>" +
         escapeHtml(title) + "</title><style>" + kStyle + "</style><script>" + kScript +
         "</script></head><body>" + body + "</body></html>\n";
}

}  // namespace xm::report
