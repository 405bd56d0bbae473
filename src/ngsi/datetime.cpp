// Hand-written ISO 8601 parser (strict enough to reject garbage, lenient on the
// number of fraction digits) and UTC formatter using days-from-civil.
#include "ngsi/datetime.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace allmende::ngsi {

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int daysInMonth(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

}  // namespace

std::optional<int64_t> parseDateTime(std::string_view s) {
  int y, mo, d, h, mi, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi))
    return std::nullopt;
  size_t pos = 16;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int scale = 100;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  int offsetMin = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om = 0;
    if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
    size_t next = pos + 3;
    if (next < s.size() && s[next] == ':') ++next;
    if (next < s.size()) {
      if (!digits(s, next, 2, om)) return std::nullopt;
      next += 2;
    }
    offsetMin = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos = next;
  }
  if (pos != s.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offsetMin * 60;
  return seconds * 1000 + ms;
}

std::optional<int64_t> parseDuration(std::string_view text) {
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  int64_t total = 0;
  bool time = false, any = false;
  size_t i = 1;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (time) return std::nullopt;
      time = true;
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start || i == text.size() || i - start > 12) return std::nullopt;
    double n = std::atof(std::string(text.substr(start, i - start)).c_str());
    double unit = 0;  // seconds
    switch (text[i]) {
      case 'Y':
        unit = time ? 0 : 365 * 86400;
        break;
      case 'M':
        unit = time ? 60 : 30 * 86400;
        break;
      case 'W':
        unit = time ? 0 : 7 * 86400;
        break;
      case 'D':
        unit = time ? 0 : 86400;
        break;
      case 'H':
        unit = time ? 3600 : 0;
        break;
      case 'S':
        unit = time ? 1 : 0;
        break;
      default:
        break;
    }
    if (unit == 0 || n * unit * 1000 > 1e18) return std::nullopt;  // beyond ~31 million years
    total += static_cast<int64_t>(n * unit * 1000);
    any = true;
    ++i;
  }
  if (!any) return std::nullopt;
  return total;
}

std::string formatDateTime(int64_t epochMs) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds(epochMs)};
  auto dayPoint = floor<days>(tp);
  year_month_day ymd{dayPoint};
  hh_mm_ss hms{tp - dayPoint};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // outside what the fixed-width form below can carry
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year, static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count()));
    return buf;
  }
  // Digits written in place: this runs for every timestamp of every answer and notification.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](size_t at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<unsigned>(year), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  put(20, static_cast<unsigned>(hms.subseconds().count()), 3);
  return out;
}

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace allmende::ngsi
