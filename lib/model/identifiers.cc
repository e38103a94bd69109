#include "lib/model/identifiers.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace {

// GB 32100-2015 table 1: the 31 characters and their values.
constexpr char kUsccAlphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
// Weights of positions 1–17.
constexpr int kUsccWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int UsccValue(char c) {
  const char* p = std::strchr(kUsccAlphabet, c);
  return (c != '\0' && p != nullptr) ? static_cast<int>(p - kUsccAlphabet) : -1;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

char UsccCheckCharacter(absl::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    int v = UsccValue(first17[i]);
    if (v < 0) return '\0';
    sum += v * kUsccWeights[i];
  }
  int check = 31 - sum % 31;
  return kUsccAlphabet[check == 31 ? 0 : check];
}

absl::Status ValidateUscc(absl::string_view uscc) {
  if (uscc.size() != 18) {
    return absl::InvalidArgumentError(
        absl::StrCat("统一社会信用代码须为 18 位，\"", uscc, "\" 为 ", uscc.size(), " 位"));
  }
  for (size_t i = 0; i < uscc.size(); ++i) {
    if (UsccValue(uscc[i]) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("统一社会信用代码第 ", i + 1, " 位 '", uscc.substr(i, 1),
                       "' 不合规（只能是数字或除 I、O、S、V、Z 以外的大写字母）"));
    }
  }
  for (size_t i = 2; i < 8; ++i) {
    if (!absl::ascii_isdigit(uscc[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("统一社会信用代码第 3—8 位须为行政区划代码数字，\"", uscc, "\" 第 ", i + 1,
                       " 位为 '", uscc.substr(i, 1), "'"));
    }
  }
  char expected = UsccCheckCharacter(uscc.substr(0, 17));
  if (uscc[17] != expected) {
    return absl::InvalidArgumentError(absl::StrCat("统一社会信用代码 \"", uscc, "\" 的校验码为 '",
                                                   uscc.substr(17), "'，按 GB 32100-2015 应为 '",
                                                   std::string(1, expected), "'"));
  }
  return absl::OkStatus();
}

absl::Status ValidateIndustryCode(absl::string_view code) {
  absl::string_view digits = code;
  if (!digits.empty() && digits[0] >= 'A' && digits[0] <= 'T') digits.remove_prefix(1);
  bool ok = digits.size() >= 2 && digits.size() <= 4;
  for (char c : digits) ok = ok && absl::ascii_isdigit(c);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "行业代码 \"", code, "\" 不是 GB/T 4754 代码（门类字母 A—T 加 2 至 4 位数字，如 C3021）"));
  }
  return absl::OkStatus();
}

namespace {

// GB/T 4754-2017: the section letter of each division (first two digits),
// as [first, last] division ranges.
char SectionOfDivision(int division) {
  static constexpr struct {
    int first, last;
    char section;
  } kSections[] = {{1, 5, 'A'},   {6, 12, 'B'},  {13, 43, 'C'}, {44, 46, 'D'}, {47, 50, 'E'},
                   {51, 52, 'F'}, {53, 60, 'G'}, {61, 62, 'H'}, {63, 65, 'I'}, {66, 69, 'J'},
                   {70, 70, 'K'}, {71, 72, 'L'}, {73, 75, 'M'}, {76, 79, 'N'}, {80, 82, 'O'},
                   {83, 83, 'P'}, {84, 85, 'Q'}, {86, 90, 'R'}, {91, 96, 'S'}, {97, 97, 'T'}};
  for (const auto& s : kSections) {
    if (division >= s.first && division <= s.last) return s.section;
  }
  return '\0';
}

}  // namespace

absl::StatusOr<std::string> CanonicalIndustryCode(absl::string_view code) {
  std::string text(absl::StripAsciiWhitespace(code));
  if (!text.empty() && absl::ascii_isalpha(text[0])) text[0] = absl::ascii_toupper(text[0]);
  absl::Status shape = ValidateIndustryCode(text);
  if (!shape.ok()) return shape;
  const bool lettered = absl::ascii_isalpha(text[0]);
  const std::string digits = lettered ? text.substr(1) : text;
  const int division = (digits[0] - '0') * 10 + (digits[1] - '0');
  const char section = SectionOfDivision(division);
  if (section == '\0') {
    return absl::InvalidArgumentError(
        absl::StrCat("行业代码 \"", code, "\"：GB/T 4754 没有大类 ", digits.substr(0, 2)));
  }
  if (lettered && text[0] != section) {
    return absl::InvalidArgumentError(
        absl::StrCat("行业代码 \"", code, "\"：大类 ", digits.substr(0, 2), " 属于门类 ",
                     std::string(1, section), "，不是 ", std::string(1, text[0]), "（应写作 ",
                     std::string(1, section), digits, "）"));
  }
  return std::string(1, section) + digits;
}

absl::Status ValidateDate(absl::string_view date) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("\"", date, "\" 不是 YYYY-MM-DD 格式的日期"));
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad();
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(date[i])) return bad();
  }
  int y = std::stoi(std::string(date.substr(0, 4)));
  int m = std::stoi(std::string(date.substr(5, 2)));
  int d = std::stoi(std::string(date.substr(8, 2)));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12) return bad();
  int max_day = kDays[m - 1] + (m == 2 && IsLeapYear(y) ? 1 : 0);
  if (d < 1 || d > max_day) return bad();
  return absl::OkStatus();
}

absl::Status ValidateResourceId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 63 && id.front() != '-' && id.back() != '-';
  for (char c : id) ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "标识 \"", id, "\" 不合规：须为 1—63 个小写字母、数字或连字符 -，且不以 - 开头或结尾"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDistrictCode(absl::string_view code) {
  bool ok = code.size() == 6;
  for (char c : code) ok = ok && absl::ascii_isdigit(c);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("区县标识 \"", code, "\" 不合规：须为 6 位行政区划代码，如 120119"));
  }
  return absl::OkStatus();
}

std::string EnterpriseOf(absl::string_view name) {
  const size_t at = name.find("/enterprises/");
  if (at == absl::string_view::npos) return std::string(name);
  const size_t end = name.find('/', at + 13);
  return std::string(end == absl::string_view::npos ? name : name.substr(0, end));
}

std::string NormalizePlate(absl::string_view plate) {
  std::string out;
  for (char c : plate) {
    if (c != ' ' && c != '-' && c != '\t') out.push_back(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return out;
}

}  // namespace cuofeng
