#include "input_source.h"

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/npy.h"

namespace tandem::cli {
namespace {

namespace fs = std::filesystem;

bool has_ext(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

// A single .npy [N, ...]: the whole array is loaded once (it is one file the user chose).
class NpyArraySource final : public InputSource {
 public:
  NpyArraySource(std::string path, Tensor t) : path_(std::move(path)), t_(std::move(t)) {
    shape_.assign(t_.shape().begin() + 1, t_.shape().end());
  }
  int64_t count() const override { return t_.shape()[0]; }
  const Shape& image_shape() const override { return shape_; }
  std::string name(int64_t i) const override { return path_ + "[" + std::to_string(i) + "]"; }
  Result<Tensor> read(int64_t begin, int64_t end) override {
    Shape s = t_.shape();
    s[0] = end - begin;
    Tensor out(s, t_.dtype());
    const size_t row = t_.nbytes() / static_cast<size_t>(count());
    std::memcpy(out.data(), static_cast<const char*>(t_.data()) + static_cast<size_t>(begin) * row, out.nbytes());
    return out;
  }

 private:
  std::string path_;
  Tensor t_;
  Shape shape_;
};

// Decodes an image file to float32 CHW: resize (bilinear) to h x w, (pixel/255 - mean) / std.
Result<Tensor> load_image(const std::string& path, int64_t c, int64_t h, int64_t w, const Preprocess& pre) {
  if (c != 3 && c != 1) return unsupported(path + ": image files feed 1- or 3-channel inputs, the model has " + std::to_string(c));
  int iw = 0, ih = 0, ic = 0;
  unsigned char* px = stbi_load(path.c_str(), &iw, &ih, &ic, static_cast<int>(c));
  if (!px) return invalid_argument(path + ": cannot decode image (" + stbi_failure_reason() + ")");
  std::vector<unsigned char> resized(static_cast<size_t>(h * w * c));
  int ok = stbir_resize_uint8(px, iw, ih, 0, resized.data(), static_cast<int>(w), static_cast<int>(h), 0,
                              static_cast<int>(c));
  stbi_image_free(px);
  if (!ok) return internal_error(path + ": resizing failed");
  Tensor t({c, h, w}, DType::kFloat32);
  float* out = t.data_as<float>();
  for (int64_t ch = 0; ch < c; ++ch) {
    const int64_t src_ch = pre.bgr && c == 3 ? 2 - ch : ch;
    const float m = pre.mean[static_cast<size_t>(ch) % pre.mean.size()];
    const float s = pre.std[static_cast<size_t>(ch) % pre.std.size()];
    for (int64_t i = 0; i < h * w; ++i)
      out[ch * h * w + i] = (static_cast<float>(resized[static_cast<size_t>(i * c + src_ch)]) / 255.0f - m) / s;
  }
  return t;
}

class DirectorySource final : public InputSource {
 public:
  DirectorySource(std::vector<fs::path> files, Shape shape, Preprocess pre)
      : files_(std::move(files)), shape_(std::move(shape)), pre_(std::move(pre)) {}
  int64_t count() const override { return static_cast<int64_t>(files_.size()); }
  const Shape& image_shape() const override { return shape_; }
  std::string name(int64_t i) const override { return files_[static_cast<size_t>(i)].filename().string(); }

  Result<Tensor> read(int64_t begin, int64_t end) override {
    Shape s = shape_;
    s.insert(s.begin(), end - begin);
    Tensor out(s, DType::kFloat32);
    const size_t row = out.nbytes() / static_cast<size_t>(end - begin);
    for (int64_t i = begin; i < end; ++i) {
      TANDEM_ASSIGN_OR_RETURN(Tensor img, load_one(files_[static_cast<size_t>(i)]));
      std::memcpy(static_cast<char*>(out.data()) + static_cast<size_t>(i - begin) * row, img.data(), row);
    }
    return out;
  }

 private:
  Result<Tensor> load_one(const fs::path& p) {
    if (!has_ext(p, {".npy"})) return load_image(p.string(), shape_[0], shape_[1], shape_[2], pre_);
    TANDEM_ASSIGN_OR_RETURN(Tensor t, read_npy(p.string()));
    Shape s = t.shape();
    if (!s.empty() && s[0] == 1 && s.size() == shape_.size() + 1) s.erase(s.begin());
    if (s != shape_ || t.dtype() != DType::kFloat32)
      return invalid_argument(p.string() + ": " + dtype_name(t.dtype()) + " " + shape_to_string(t.shape()) +
                              ", expected float32 " + shape_to_string(shape_));
    return t;
  }

  std::vector<fs::path> files_;
  Shape shape_;
  Preprocess pre_;
};

Result<std::unique_ptr<InputSource>> open_directory(const fs::path& dir, const Shape& model_shape, const Preprocess& pre) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && has_ext(e.path(), {".npy", ".jpg", ".jpeg", ".png", ".bmp"})) files.push_back(e.path());
  if (ec) return invalid_argument(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  if (files.empty()) return invalid_argument(dir.string() + ": no .npy, .jpg, .jpeg, .png or .bmp files");
  std::sort(files.begin(), files.end());
  Shape shape = model_shape;
  bool open = std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; });
  if (open && has_ext(files[0], {".npy"})) {  // the first file fixes the open dims
    TANDEM_ASSIGN_OR_RETURN(Tensor t, read_npy(files[0].string()));
    shape = t.shape();
    if (shape.size() == model_shape.size() + 1 && shape[0] == 1) shape.erase(shape.begin());
  } else if (open) {
    return invalid_argument("the model leaves the image size open " + shape_to_string(model_shape) +
                            ": give it with --shape, e.g. --shape 1x3x224x224");
  }
  if (shape.size() != 3 && !has_ext(files[0], {".npy"}))
    return unsupported("image files feed inputs of shape [N, C, H, W]; the model input is " + shape_to_string(model_shape));
  return std::unique_ptr<InputSource>(new DirectorySource(std::move(files), std::move(shape), pre));
}

}  // namespace

Result<std::vector<float>> parse_floats(const std::string& text, const char* what) {
  std::vector<float> v;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      size_t used = 0;
      v.push_back(std::stof(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      return invalid_argument(std::string(what) + " '" + text + "' must be comma-separated numbers");
    }
  }
  if (v.empty()) return invalid_argument(std::string(what) + " is empty");
  return v;
}

Result<std::unique_ptr<InputSource>> open_input(const std::string& path, const Shape& model_image_shape,
                                                const Preprocess& pre) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return open_directory(path, model_image_shape, pre);
  TANDEM_ASSIGN_OR_RETURN(Tensor t, read_npy(path));
  if (t.shape().empty()) return invalid_argument(path + ": a scalar; expected images along dim 0");
  return std::unique_ptr<InputSource>(new NpyArraySource(path, std::move(t)));
}

}  // namespace tandem::cli
