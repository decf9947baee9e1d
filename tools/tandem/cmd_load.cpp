// `tandem load`: the load generator (serve/load_client.h) against a server on this machine. Reads
// the pool (.npz), runs the load, prints the JSON report on stdout (and --json), a one-line
// summary on stderr. Fails (exit 1, after the report) when any answer was wrong or any request
// failed other than by 503: the report is a measurement only when every answer was right.
#include <cstdio>

#include "cli.h"
#include "core/npz.h"
#include "core/text_file.h"
#include "serve/load_client.h"

namespace tandem::cli {

Status run_load(const LoadOptions& o) {
  serve::LoadOptions lo;
  lo.url = o.url;
  lo.model_name = o.model_name;
  lo.connections = o.connections;
  lo.max_requests = o.requests;
  lo.seconds = o.seconds;
  lo.rate = o.rate;
  lo.rtol = o.rtol;
  lo.shm = o.shm;
  TANDEM_RETURN_IF_ERROR(serve::parse_loopback_url(o.url).status());
  TANDEM_ASSIGN_OR_RETURN(NamedTensors arrays, read_npz(o.pool));
  for (auto& [name, t] : arrays) {
    if (name.rfind("input:", 0) == 0) lo.pool.inputs.emplace_back(name.substr(6), std::move(t));
    else if (name.rfind("output:", 0) == 0) lo.pool.expected.emplace_back(name.substr(7), std::move(t));
    else return invalid_argument(o.pool + ": entry '" + name + "' is neither input:<name> nor output:<name>");
  }
  TANDEM_ASSIGN_OR_RETURN(serve::LoadReport r, serve::run_load(lo));
  const std::string text = r.to_json();
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
  if (!o.json.empty()) TANDEM_RETURN_IF_ERROR(write_file(o.json, text + "\n", "the load report"));
  std::fprintf(stderr,
               "tandem load: %d connections, %lld rows/request: %lld answered in %.2f s, %.0f requests/s, %.0f images/s, "
               "p50 %.2f p90 %.2f p99 %.2f ms, 503: %lld, errors: %lld, wrong: %lld%s\n",
               r.connections, static_cast<long long>(r.rows), static_cast<long long>(r.requests), r.seconds,
               r.requests_per_s(), r.images_per_s(), r.p50_ms, r.p90_ms, r.p99_ms, static_cast<long long>(r.rejected_503),
               static_cast<long long>(r.errors), static_cast<long long>(r.wrong), r.checked ? "" : " (answers not checked)");
  if (r.errors > 0) return unavailable(std::to_string(r.errors) + " requests failed, e.g. " + r.error_examples.front());
  if (r.wrong > 0) return internal_error(std::to_string(r.wrong) + " answers were wrong (relative L2 error above " +
                                         std::to_string(o.rtol) + ")");
  if (r.requests == 0) return unavailable("no request was answered");
  return Status::ok();
}

}  // namespace tandem::cli
