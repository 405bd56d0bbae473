// Error type URIs, titles and HTTP statuses of NGSI-LD (clause 5.5.2), and the
// UTF-8 repair of details.
#include "ngsi/error.h"

#include "common/utf8.h"

namespace allmende::ngsi {

namespace {
struct Info {
  std::string_view name;
  std::string_view title;
  int status;
};

Info info(ErrorType type) {
  switch (type) {
    case ErrorType::InvalidRequest: return {"InvalidRequest", "Invalid Request", 400};
    case ErrorType::BadRequestData: return {"BadRequestData", "Bad Request Data", 400};
    case ErrorType::Unauthorized: return {"Unauthorized", "Unauthorized", 401};
    case ErrorType::Forbidden: return {"Forbidden", "Forbidden", 403};
    case ErrorType::AlreadyExists: return {"AlreadyExists", "Already Exists", 409};
    case ErrorType::Conflict: return {"Conflict", "Conflict", 409};
    case ErrorType::OperationNotSupported:
      return {"OperationNotSupported", "Operation Not Supported", 422};
    case ErrorType::ResourceNotFound: return {"ResourceNotFound", "Resource Not Found", 404};
    case ErrorType::NonexistentTenant: return {"NonexistentTenant", "Nonexistent Tenant", 404};
    case ErrorType::TooComplexQuery: return {"TooComplexQuery", "Too Complex Query", 403};
    case ErrorType::TooManyResults: return {"TooManyResults", "Too Many Results", 403};
    case ErrorType::LdContextNotAvailable:
      return {"LdContextNotAvailable", "LD Context Not Available", 504};
    case ErrorType::NotAcceptable: return {"NotAcceptable", "Not Acceptable", 406};
    case ErrorType::UnsupportedMediaType:
      return {"UnsupportedMediaType", "Unsupported Media Type", 415};
    case ErrorType::RequestEntityTooLarge:
      return {"RequestEntityTooLarge", "Request Entity Too Large", 413};
    case ErrorType::MethodNotAllowed: return {"MethodNotAllowed", "Method Not Allowed", 405};
    case ErrorType::InternalError: return {"InternalError", "Internal Error", 500};
    case ErrorType::LoopDetected: return {"LoopDetected", "Loop Detected", 508};
  }
  return {"InternalError", "Internal Error", 500};
}
}  // namespace


std::string validUtf8(std::string text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t n = utf8SequenceLength(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  static const char* hex = "0123456789ABCDEF";
  std::string out = text.substr(0, i);
  while (i < text.size()) {
    size_t n = utf8SequenceLength(text, i);
    if (n > 0) {
      out.append(text, i, n);
      i += n;
      continue;
    }
    auto c = static_cast<unsigned char>(text[i++]);
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string errorTypeUri(ErrorType type) {
  return "https://uri.etsi.org/ngsi-ld/errors/" + std::string(info(type).name);
}
std::string_view errorTitle(ErrorType type) { return info(type).title; }
int errorStatus(ErrorType type) { return info(type).status; }

}  // namespace allmende::ngsi
