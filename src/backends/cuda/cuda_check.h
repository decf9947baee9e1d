// Vendor errors -> Status, at one place. Each macro names the failing call:
//   CUDA_TRY(cudaMemcpyAsync(...));  ->  "cudaMemcpyAsync(...) failed: invalid argument"
// Use inside functions returning Status or Result<T>.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "tandem/status.h"

namespace tandem::cuda {

inline Status cuda_status(cudaError_t e, const char* call) {
  if (e == cudaSuccess) return Status::ok();
  return internal_error(std::string(call) + " failed: " + cudaGetErrorString(e));
}
inline Status cudnn_status(cudnnStatus_t e, const char* call) {
  if (e == CUDNN_STATUS_SUCCESS) return Status::ok();
  return internal_error(std::string(call) + " failed: " + cudnnGetErrorString(e));
}
inline Status cublas_status(cublasStatus_t e, const char* call) {
  if (e == CUBLAS_STATUS_SUCCESS) return Status::ok();
  return internal_error(std::string(call) + " failed: " + cublasGetStatusString(e));
}

}  // namespace tandem::cuda

#define CUDA_TRY(call) TANDEM_RETURN_IF_ERROR(::tandem::cuda::cuda_status((call), #call))
#define CUDNN_TRY(call) TANDEM_RETURN_IF_ERROR(::tandem::cuda::cudnn_status((call), #call))
#define CUBLAS_TRY(call) TANDEM_RETURN_IF_ERROR(::tandem::cuda::cublas_status((call), #call))
// After a kernel launch: the launch error, if any, named after the kernel.
#define CUDA_TRY_LAUNCH(name) TANDEM_RETURN_IF_ERROR(::tandem::cuda::cuda_status(cudaGetLastError(), name))
