#include "model/cvss.h"

#include <cmath>
#include <vector>

#include "common/strings.h"

namespace secbudget {

std::string_view CvssMetric(std::string_view vector, std::string_view metric) {
  std::string_view found;
  ForEachCvssMetric(vector, [&](std::string_view name, std::string_view value) {
    if (name != metric) return true;
    found = value;
    return false;
  });
  return found;
}

std::string CvssVector::Get(std::string_view metric) const { return std::string(CvssMetric(text, metric)); }

std::optional<CvssVector> ParseCvssVector(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  CvssVector v;
  v.text = std::string(text);
  if (StartsWith(text, "CVSS:3")) {
    v.major_version = 3;
  } else if (StartsWith(text, "CVSS:4")) {
    v.major_version = 4;
  } else if (StartsWith(text, "AV:") || StartsWith(text, "(AV:")) {
    v.major_version = 2;
    if (text.front() == '(') v.text = std::string(text.substr(1, text.size() - 2));
  } else {
    return std::nullopt;
  }
  for (std::string_view part : Split(v.text, '/')) {
    if (part.find(':') == std::string_view::npos) return std::nullopt;
  }
  if (v.Get("AV").empty()) return std::nullopt;
  return v;
}

namespace {

double RoundUp1(double x) {
  // The specification's Roundup, robust to floating-point noise.
  const auto i = static_cast<long long>(std::llround(x * 100000.0));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return (std::floor(static_cast<double>(i) / 10000.0) + 1.0) / 10.0;
}

}  // namespace

std::optional<double> CvssV3BaseScore(std::string_view vector) {
  const auto v = ParseCvssVector(vector);
  if (!v || v->major_version != 3) return std::nullopt;
  const std::string av = v->Get("AV"), ac = v->Get("AC"), pr = v->Get("PR"), ui = v->Get("UI"), s = v->Get("S"),
                    c = v->Get("C"), i = v->Get("I"), a = v->Get("A");
  const bool changed = s == "C";
  if (s != "C" && s != "U") return std::nullopt;
  double w_av = 0, w_ac = 0, w_pr = 0, w_ui = 0;
  if (av == "N")
    w_av = 0.85;
  else if (av == "A")
    w_av = 0.62;
  else if (av == "L")
    w_av = 0.55;
  else if (av == "P")
    w_av = 0.2;
  else
    return std::nullopt;
  if (ac == "L")
    w_ac = 0.77;
  else if (ac == "H")
    w_ac = 0.44;
  else
    return std::nullopt;
  if (pr == "N")
    w_pr = 0.85;
  else if (pr == "L")
    w_pr = changed ? 0.68 : 0.62;
  else if (pr == "H")
    w_pr = changed ? 0.5 : 0.27;
  else
    return std::nullopt;
  if (ui == "N")
    w_ui = 0.85;
  else if (ui == "R")
    w_ui = 0.62;
  else
    return std::nullopt;
  const auto cia = [](const std::string& m) -> double {
    if (m == "H") return 0.56;
    if (m == "L") return 0.22;
    if (m == "N") return 0.0;
    return -1;
  };
  const double wc = cia(c), wi = cia(i), wa = cia(a);
  if (wc < 0 || wi < 0 || wa < 0) return std::nullopt;
  const double iss = 1 - ((1 - wc) * (1 - wi) * (1 - wa));
  const double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * w_av * w_ac * w_pr * w_ui;
  if (impact <= 0) return 0.0;
  if (changed) return RoundUp1(std::min(1.08 * (impact + exploitability), 10.0));
  return RoundUp1(std::min(impact + exploitability, 10.0));
}

}  // namespace secbudget
