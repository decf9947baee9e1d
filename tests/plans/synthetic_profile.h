// Synthetic profiles for the search tests: units with known piece costs, so the best plan is
// known (or found by brute force) without running anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/profile.h"

namespace tandem::plan_test {

struct FakeUnit {
  std::string name;
  std::vector<std::optional<plan::LinearCost>> pieces;
  double slowdown = 1.0;
};

inline plan::Profile synthetic_profile(const std::vector<FakeUnit>& units, size_t pieces) {
  plan::Profile p;
  p.machine = "test";
  p.model = "synthetic";
  p.version = "0";
  for (size_t i = 0; i + 1 < pieces; ++i) p.cuts.push_back(plan::CutInfo{"cut" + std::to_string(i + 1), 100});
  p.input_bytes_per_image = 100;
  for (const FakeUnit& f : units) {
    plan::UnitProfile u;
    u.unit = f.name;
    u.spec = f.name;
    u.pieces = f.pieces;
    u.slowdown = f.slowdown;
    p.units.push_back(u);
    p.units_spec += (p.units_spec.empty() ? "" : ",") + f.name;
  }
  return p;
}

// A unit whose every piece costs `fixed` + `per_image` per image.
inline FakeUnit uniform_unit(const std::string& name, size_t pieces, double fixed, double per_image,
                             double slowdown = 1.0) {
  return FakeUnit{name, std::vector<std::optional<plan::LinearCost>>(pieces, plan::LinearCost{fixed, per_image}),
                  slowdown};
}

}  // namespace tandem::plan_test
