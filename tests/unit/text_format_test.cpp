#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "metrics/text_format.h"

using namespace logpulse;

namespace {
std::string value_text(double value) {
  std::string out;
  metrics::append_value(out, value);
  return out;
}

prometheus::ClientMetric sample(std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  return metric;
}
}  // namespace

TEST_CASE("text format: values read back exactly, in their shortest form") {
  // prometheus-cpp printed 1.797693134862316e+308, which is no finite double: promtool
  // refused the whole exposition.
  CHECK(value_text(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(value_text(-std::numeric_limits<double>::max()) == "-1.7976931348623157e+308");
  CHECK(value_text(std::numeric_limits<double>::denorm_min()) == "5e-324");
  CHECK(value_text(0.1) == "0.1");
  CHECK(value_text(1) == "1");
  CHECK(value_text(0) == "0");
  CHECK(value_text(123456789012) == "123456789012");
  CHECK(value_text(1e21) == "1e+21");
  CHECK(value_text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(value_text(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(value_text(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(value_text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  for (double v : {std::numeric_limits<double>::max(), 0.1 + 0.2, 1.0 / 3, 6.02214076e23, 5e-324, -2.5e-300}) {
    const std::string text = value_text(v);
    double back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    CHECK(back == v);
  }
}

TEST_CASE("text format: families, escaping, histograms and summaries") {
  std::vector<prometheus::MetricFamily> families(4);
  families[0].name = "c_total";
  families[0].help = "Back\\slash and\nnewline.";
  families[0].type = prometheus::MetricType::Counter;
  families[0].metric.push_back(sample({{"path", "C:\\x \"q\"\nz"}, {"b", ""}}));
  families[0].metric.back().counter.value = std::numeric_limits<double>::max();

  families[1].name = "g";
  families[1].type = prometheus::MetricType::Gauge;
  families[1].metric.push_back(sample({}));
  families[1].metric.back().gauge.value = -std::numeric_limits<double>::infinity();

  families[2].name = "h";
  families[2].help = "H.";
  families[2].type = prometheus::MetricType::Histogram;
  families[2].metric.push_back(sample({{"a", "1"}}));
  auto& histogram = families[2].metric.back().histogram;
  histogram.sample_count = 3;
  histogram.sample_sum = 0.30000000000000004;
  histogram.bucket = {{1, 0.005}, {2, 0.1}, {3, std::numeric_limits<double>::infinity()}};

  families[3].name = "s";
  families[3].type = prometheus::MetricType::Summary;
  families[3].metric.push_back(sample({}));
  auto& summary = families[3].metric.back().summary;
  summary.sample_count = 2;
  summary.sample_sum = 7.5;
  summary.quantile = {{0.5, std::numeric_limits<double>::quiet_NaN()}, {0.99, 5}};

  std::string text;
  metrics::append_text(text, families);
  CHECK(text ==
        "# HELP c_total Back\\\\slash and\\nnewline.\n"
        "# TYPE c_total counter\n"
        "c_total{path=\"C:\\\\x \\\"q\\\"\\nz\",b=\"\"} 1.7976931348623157e+308\n"
        "# TYPE g gauge\n"
        "g -Inf\n"
        "# HELP h H.\n"
        "# TYPE h histogram\n"
        "h_count{a=\"1\"} 3\n"
        "h_sum{a=\"1\"} 0.30000000000000004\n"
        "h_bucket{a=\"1\",le=\"0.005\"} 1\n"
        "h_bucket{a=\"1\",le=\"0.1\"} 2\n"
        "h_bucket{a=\"1\",le=\"+Inf\"} 3\n"
        "# TYPE s summary\n"
        "s_count 2\n"
        "s_sum 7.5\n"
        "s{quantile=\"0.5\"} NaN\n"
        "s{quantile=\"0.99\"} 5\n");
}
