#include "serve/histogram.h"

#include <sstream>

namespace tandem::serve {

std::string Histogram::render(const std::string& name, const std::string& labels) const {
  std::ostringstream o;
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    o << name << "_bucket{" << labels << sep << "le=\"";
    if (i < bounds_.size()) o << bounds_[i];
    else o << "+Inf";
    o << "\"} " << cumulative << "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  o << name << "_sum" << braces << " " << sum_ << "\n";
  o << name << "_count" << braces << " " << count_ << "\n";
  return o.str();
}

std::vector<double> latency_bounds() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10};
}

std::vector<double> batch_bounds(int64_t max) {
  std::vector<double> b;
  for (int64_t v = 1; v < max; v *= 2) b.push_back(static_cast<double>(v));
  b.push_back(static_cast<double>(max));
  return b;
}

}  // namespace tandem::serve
