#include <random>
#include <sstream>

#include "cli.h"

namespace tandem::cli {

Result<Shape> parse_shape(const std::string& text) {
  Shape s;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    try {
      size_t used = 0;
      long long v = std::stoll(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument(part);
      s.push_back(v);
    } catch (const std::exception&) {
      return invalid_argument("--shape '" + text + "' must look like 1x3x224x224 (positive dims)");
    }
  }
  if (s.empty()) return invalid_argument("--shape is empty");
  return s;
}

Result<Shape> resolve_input_shape(const std::string& name, const Shape& model_shape, const std::string& override_shape,
                                  int64_t batch) {
  Shape s = model_shape;
  if (!override_shape.empty()) {
    TANDEM_ASSIGN_OR_RETURN(Shape given, parse_shape(override_shape));
    if (given.size() != s.size())
      return invalid_argument("--shape " + shape_to_string(given) + " has rank " + std::to_string(given.size()) +
                              ", input '" + name + "' has rank " + std::to_string(s.size()));
    s = given;
    s[0] = batch;
    return s;
  }
  if (!s.empty() && s[0] < 0) s[0] = batch;
  for (int64_t d : s)
    if (d < 0)
      return invalid_argument("input '" + name + "' has open dims " + shape_to_string(model_shape) +
                              ": give them with --shape, e.g. --shape 1x3x224x224");
  return s;
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t(shape, DType::kFloat32);
  fill_random(t, seed);
  return t;
}

Tensor random_tensor(Engine& engine, const Shape& shape, uint64_t seed) {
  Tensor t = engine.make_tensor(shape, DType::kFloat32);
  fill_random(t, seed);
  return t;
}

void fill_random(Tensor& t, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
}

}  // namespace tandem::cli
