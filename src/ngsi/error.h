// NGSI-LD errors as values that cross layers: every failure the API reports is
// an Error carrying the spec's error type, the HTTP status and a detail a person
// can act on. Rendered as an RFC 7807 ProblemDetails body by the api layer.
// Details quote user input, so an Error keeps its detail valid UTF-8 (a
// ProblemDetails body must be JSON text): invalid bytes are written as \xHH.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace allmende::ngsi {

enum class ErrorType {
  InvalidRequest,          // 400: malformed request (syntax, JSON, parameters)
  Unauthorized,            // 401: no valid credentials (authentication is on; HTTP-level, see docs/security.md)
  Forbidden,               // 403: the caller may not do this (docs/security.md)
  BadRequestData,          // 400: well-formed but semantically wrong content
  AlreadyExists,           // 409
  Conflict,                // 409: the operation contradicts registrations (clause 4.3.6)
  OperationNotSupported,   // 422
  ResourceNotFound,        // 404
  NonexistentTenant,       // 404
  TooComplexQuery,         // 403
  TooManyResults,          // 403
  LdContextNotAvailable,   // 504 (as the conformance suite checks; see docs/decisions.md)
  NotAcceptable,           // 406 (HTTP-level, reported with a ProblemDetails too)
  UnsupportedMediaType,    // 415
  RequestEntityTooLarge,   // 413
  MethodNotAllowed,        // 405
  InternalError,           // 500
  LoopDetected,            // 508: a distributed operation came back to this broker (clause 6.3.18)
};

// The spec's error type URI, e.g. https://uri.etsi.org/ngsi-ld/errors/BadRequestData.
std::string errorTypeUri(ErrorType type);
// The short title ("Bad Request Data").
std::string_view errorTitle(ErrorType type);
int errorStatus(ErrorType type);

// The text with each byte that is not part of a well-formed UTF-8 sequence
// replaced by "\xHH" (the text itself when it is valid UTF-8).
std::string validUtf8(std::string text);

// Thrown by any layer; caught once per request by the api layer.
class Error : public std::runtime_error {
 public:
  Error(ErrorType type, std::string detail) : Error(type, validUtf8(std::move(detail)), 0) {}
  ErrorType type() const { return type_; }
  const std::string& detail() const { return detail_; }
  int status() const { return errorStatus(type_); }

 private:
  Error(ErrorType type, std::string valid, int)
      : std::runtime_error(valid), type_(type), detail_(std::move(valid)) {}
  ErrorType type_;
  std::string detail_;
};

[[noreturn]] inline void fail(ErrorType type, std::string detail) {
  throw Error(type, std::move(detail));
}

}  // namespace allmende::ngsi
