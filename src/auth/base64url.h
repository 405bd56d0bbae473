// base64url (RFC 4648 section 5, without padding) as JSON Web Tokens, JSON
// Web Keys and API keys use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace allmende::auth {

// The base64url text of bytes (no padding).
std::string base64UrlEncode(std::string_view bytes);
// The bytes of a base64url text (padding '=' tolerated); nullopt if it is not one.
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace allmende::auth
