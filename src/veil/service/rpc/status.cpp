#include "veil/service/rpc/status.h"

#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/search/key_identity.h"
#include "veil/store/errors.h"

namespace veil::service {

grpc::Status current_exception_status() {
  try {
    throw;
  } catch (const StatusError& e) {
    return {e.code(), e.what()};
  } catch (const search::KeyMismatchError& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const io::FormatError& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const rlwe::MismatchError& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::invalid_argument& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const store::StoreError& e) {
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  } catch (const std::runtime_error& e) {
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, e.what()};
  } catch (...) {
    return {grpc::StatusCode::INTERNAL, "unknown error"};
  }
}

std::string code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "CODE_" + std::to_string(static_cast<int>(c));
  }
}

void throw_status(const grpc::Status& s, const std::string& call) {
  throw StatusError(s.error_code(),
                    call + ": " + code_name(s.error_code()) + ": " + s.error_message());
}

}  // namespace veil::service
