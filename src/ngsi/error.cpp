// Error type URIs, titles and HTTP statuses of NGSI-LD (clause 5.5.2), and the
// UTF-8 repair of details.
#include "ngsi/error.h"

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
    case ErrorType::AlreadyExists: return {"AlreadyExists", "Already Exists", 409};
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
  }
  return {"InternalError", "Internal Error", 500};
}
}  // namespace

namespace {
// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
size_t sequenceLength(std::string_view s, size_t i) {
  auto at = [&s](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  unsigned c = at(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return at(k) >= lo && at(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}
}  // namespace

std::string validUtf8(std::string text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t n = sequenceLength(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  static const char* hex = "0123456789ABCDEF";
  std::string out = text.substr(0, i);
  while (i < text.size()) {
    size_t n = sequenceLength(text, i);
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
