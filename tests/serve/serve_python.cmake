# The Python tests of `tandem serve` (tritonclient[http] from PyPI, onnxruntime for references),
# included by tests/CMakeLists.txt. Each starts its own server on a free port.
set(_serve_py_args --tandem ${CMAKE_BINARY_DIR}/bin/tandem --models ${TANDEM_MODELS_DIR})
set(_serve_py_env TANDEM_CACHE_DIR=none)
if(TANDEM_SANITIZE STREQUAL "thread")  # a race report makes the server exit 66, failing the test
  list(APPEND _serve_py_env TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/serve/tsan.supp)
endif()
foreach(_t protocol load loadgen shutdown cli deploy shm)
  add_test(NAME serve.python.${_t}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/serve/test_${_t}.py ${_serve_py_args})
  set_tests_properties(serve.python.${_t} PROPERTIES LABELS serve TIMEOUT 300 ENVIRONMENT "${_serve_py_env}")
endforeach()
