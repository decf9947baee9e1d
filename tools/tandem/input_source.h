// Where `tandem run` reads its images from: one .npy holding [N, ...], or a directory of .npy
// files (one image each) and/or image files (JPEG/PNG/BMP, decoded with stb, resized and
// normalised as Preprocess says). Images are read batch by batch, so a large directory never
// sits in memory whole.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::cli {

struct Preprocess {
  std::vector<float> mean{0.485f, 0.456f, 0.406f};  // per channel, on pixel/255
  std::vector<float> std{0.229f, 0.224f, 0.225f};
  bool bgr = false;                                  // channel order of the model (default RGB)
};

class InputSource {
 public:
  virtual ~InputSource() = default;
  virtual int64_t count() const = 0;
  // One image's shape without the batch dim, e.g. [3, 224, 224].
  virtual const Shape& image_shape() const = 0;
  // Display name of image i (file name, or "x.npy[i]").
  virtual std::string name(int64_t i) const = 0;
  // Images [begin, end) as one float32 tensor [end - begin, image_shape...].
  virtual Result<Tensor> read(int64_t begin, int64_t end) = 0;
};

// `path`: a .npy file or a directory. `model_image_shape`: the model input's shape without the
// batch dim (open dims < 0); image files are resized to its H, W (error if open and unknown).
Result<std::unique_ptr<InputSource>> open_input(const std::string& path, const Shape& model_image_shape,
                                                const Preprocess& pre);

// "0.5,0.5,0.5" -> {0.5, 0.5, 0.5}.
Result<std::vector<float>> parse_floats(const std::string& text, const char* what);

}  // namespace tandem::cli
