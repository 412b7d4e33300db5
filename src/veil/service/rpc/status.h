// Errors as gRPC statuses: every handler catches what the library throws
// and answers with a status and the library's message, never a crash.
#pragma once

#include <grpcpp/grpcpp.h>

#include <exception>
#include <string>

namespace veil::service {

// A failure that already has its gRPC code (auth, unknown collection, ...).
// The gRPC name of a status code ("PERMISSION_DENIED").
std::string code_name(grpc::StatusCode c);

class StatusError : public std::runtime_error {
 public:
  StatusError(grpc::StatusCode code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  grpc::StatusCode code() const { return code_; }

 private:
  grpc::StatusCode code_;
};

// The status for the exception being handled (call inside a catch block):
// bad input (malformed envelope, wrong parameter set, dimension, another
// key set) INVALID_ARGUMENT; store refusals (duplicate ids) FAILED_PRECONDITION;
// anything unexpected INTERNAL (its message, which never holds secrets).
grpc::Status current_exception_status();

// Runs `body` and turns any exception into a status.
template <typename F>
grpc::Status guarded(F&& body) {
  try {
    return body();
  } catch (...) {
    return current_exception_status();
  }
}

// A status from the peer as a local exception (client side).
[[noreturn]] void throw_status(const grpc::Status& s, const std::string& call);

}  // namespace veil::service
