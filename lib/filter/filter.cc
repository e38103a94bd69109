#include "lib/filter/filter.h"

#include <cctype>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/timestamp.pb.h"
#include "lib/model/labels.h"
#include "lib/model/time_syntax.h"
#include "lib/status/errors.h"

namespace cuofeng {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct FilterNode {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::unique_ptr<FilterNode> left;
  std::unique_ptr<FilterNode> right;
  // kCompare: field OP value.
  const FieldDescriptor* field = nullptr;
  std::string op;
  bool any = false;      // `field:*`
  std::string text;      // strings; enum value name; time as RFC 3339
  double number = 0;     // numbers
  bool boolean = false;  // booleans
  int enum_number = 0;
  absl::Time time;
};

namespace {

enum class ValueType { kString, kEnum, kBool, kNumber, kTime, kUnsupported };

ValueType TypeOf(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return ValueType::kString;
    case FieldDescriptor::CPPTYPE_ENUM:
      return ValueType::kEnum;
    case FieldDescriptor::CPPTYPE_BOOL:
      return ValueType::kBool;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return ValueType::kNumber;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return f->message_type()->full_name() == "google.protobuf.Timestamp"
                 ? ValueType::kTime
                 : ValueType::kUnsupported;
  }
  return ValueType::kUnsupported;
}

// Position in characters (UTF-8 code points), 1-based, of byte `offset`.
int CharPosition(absl::string_view text, size_t offset) {
  int pos = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++pos;
  }
  return pos;
}

// KindName is what a clerk calls the filtered resource (企业, 电表, ...), as the
// registry workbook names its sheets (lib/xlsx/registry_sheets.cc) and the
// access table its resources; "" for a kind without a Chinese name, so the
// message stays neutral.
std::string KindName(const Descriptor* type) {
  static const auto* names =
      new std::map<std::string, std::string>{{"District", "区"},
                                             {"Township", "镇乡"},
                                             {"Enterprise", "企业"},
                                             {"ProductionLine", "生产线"},
                                             {"Process", "工序"},
                                             {"Equipment", "设备"},
                                             {"Meter", "电表"},
                                             {"Camera", "摄像头"},
                                             {"Vehicle", "车辆"},
                                             {"RetrofitTask", "整改任务"},
                                             {"EmissionTotal", "排放总量"},
                                             {"WhitelistEntry", "车辆白名单"},
                                             {"MonitoringPoint", "排放口"},
                                             {"ProductionLedger", "生产台账"},
                                             {"RuleSet", "规则集"},
                                             {"ListVersion", "清单"},
                                             {"ListEntry", "清单条目"},
                                             {"Filing", "备案记录"},
                                             {"Alert", "预警"},
                                             {"Baseline", "基准负荷"},
                                             {"Finding", "核查发现"},
                                             {"AuditEntry", "审计记录"}};
  auto it = names->find(type->name());
  return it == names->end() ? "" : it->second;
}

// Bounds that keep parsing, evaluating, rendering and freeing a filter off
// the end of the stack (the tree is as deep as its nesting and its chain of
// AND/OR; tests/fuzz found "((((…" overflowing it).
constexpr int kMaxNesting = 32;
constexpr int kMaxComparisons = 200;

class Parser {
 public:
  Parser(absl::string_view text, const Descriptor* type, const std::vector<std::string>& fields)
      : text_(text), type_(type), fields_(fields) {}

  absl::StatusOr<std::unique_ptr<FilterNode>> Parse() {
    SkipSpace();
    if (AtEnd()) return std::unique_ptr<FilterNode>();
    auto root = Expression();
    if (!root.ok()) return root.status();
    SkipSpace();
    if (!AtEnd()) {
      return Error(pos_, Peek() == ')' ? "这个 ) 前面没有对应的 (" : "此处应为 AND、OR 或结束");
    }
    return root;
  }

 private:
  absl::Status Error(size_t at, const std::string& why) const {
    return InvalidArgumentWithViolations(
        {{"filter", absl::StrCat("第 ", CharPosition(text_, at), " 个字符：", why, "（筛选条件：\"",
                                 text_, "\"）")}});
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  // Whether the keyword `word` (AND, OR, NOT) stands at the current position.
  bool AtKeyword(absl::string_view word) const {
    if (text_.substr(pos_, word.size()) != word) return false;
    size_t end = pos_ + word.size();
    return end >= text_.size() || absl::ascii_isspace(static_cast<unsigned char>(text_[end])) ||
           text_[end] == '(';
  }

  static std::unique_ptr<FilterNode> Join(FilterNode::Kind kind, std::unique_ptr<FilterNode> l,
                                          std::unique_ptr<FilterNode> r) {
    auto n = std::make_unique<FilterNode>();
    n->kind = kind;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  // expression := sequence { AND sequence }
  absl::StatusOr<std::unique_ptr<FilterNode>> Expression() {
    auto left = Factor();
    if (!left.ok()) return left.status();
    std::unique_ptr<FilterNode> node = *std::move(left);
    for (;;) {
      SkipSpace();
      if (!AtKeyword("AND")) return node;
      pos_ += 3;
      auto right = Factor();
      if (!right.ok()) return right.status();
      node = Join(FilterNode::Kind::kAnd, std::move(node), *std::move(right));
    }
  }

  // factor := term { OR term }
  absl::StatusOr<std::unique_ptr<FilterNode>> Factor() {
    auto left = Term();
    if (!left.ok()) return left.status();
    std::unique_ptr<FilterNode> node = *std::move(left);
    for (;;) {
      SkipSpace();
      if (!AtKeyword("OR")) return node;
      pos_ += 2;
      auto right = Term();
      if (!right.ok()) return right.status();
      node = Join(FilterNode::Kind::kOr, std::move(node), *std::move(right));
    }
  }

  // term := [NOT | -] simple
  absl::StatusOr<std::unique_ptr<FilterNode>> Term() {
    SkipSpace();
    bool negate = false;
    if (AtKeyword("NOT")) {
      pos_ += 3;
      negate = true;
    } else if (Peek() == '-') {
      ++pos_;
      negate = true;
    }
    auto simple = Simple();
    if (!simple.ok() || !negate) return simple;
    auto n = std::make_unique<FilterNode>();
    n->kind = FilterNode::Kind::kNot;
    n->left = *std::move(simple);
    return n;
  }

  // simple := ( expression ) | comparison
  absl::StatusOr<std::unique_ptr<FilterNode>> Simple() {
    SkipSpace();
    if (AtEnd()) return Error(pos_, "筛选条件到此结束，但此处还应有一个比较");
    if (Peek() == '(') {
      if (++nesting_ > kMaxNesting) {
        return Error(pos_, absl::StrCat("括号嵌套超过 ", kMaxNesting, " 层"));
      }
      const size_t open = pos_++;
      auto inner = Expression();
      if (!inner.ok()) return inner.status();
      --nesting_;
      SkipSpace();
      if (Peek() != ')') return Error(open, "这个 ( 没有对应的 )");
      ++pos_;
      return inner;
    }
    return Comparison();
  }

  absl::StatusOr<std::unique_ptr<FilterNode>> Comparison() {
    const size_t field_at = pos_;
    if (++comparisons_ > kMaxComparisons) {
      return Error(field_at, absl::StrCat("比较超过 ", kMaxComparisons, " 个"));
    }
    while (!AtEnd() && (absl::ascii_isalnum(static_cast<unsigned char>(Peek())) || Peek() == '_')) {
      ++pos_;
    }
    const std::string name(text_.substr(field_at, pos_ - field_at));
    if (name.empty()) {
      return Error(field_at,
                   absl::StrCat("此处应为字段名，实为 \"", text_.substr(field_at, 1), "\""));
    }
    if (name == "AND" || name == "OR") {
      return Error(field_at, absl::StrCat(name, " 左边须有一个比较"));
    }
    const FieldDescriptor* field = type_->FindFieldByName(name);
    if (field != nullptr && !fields_.empty()) {
      bool allowed = false;
      for (const auto& f : fields_) allowed = allowed || f == name;
      if (!allowed) field = nullptr;
    }
    if (field == nullptr || TypeOf(field) == ValueType::kUnsupported) {
      return Error(field_at, absl::StrCat(KindName(type_), "没有可筛选的字段 \"", name,
                                          "\"；可筛选的字段：", FieldList()));
    }
    SkipSpace();
    const size_t op_at = pos_;
    std::string op;
    for (const char* candidate : {"!=", "<=", ">=", "=", "<", ">", ":"}) {
      if (text_.substr(pos_, strlen(candidate)) == candidate) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) {
      return Error(op_at, absl::StrCat(name, " 之后应为比较符（= != < <= > >= :）"));
    }
    pos_ += op.size();
    SkipSpace();
    const size_t value_at = pos_;
    std::string value;
    if (Peek() == '"') {
      ++pos_;
      while (!AtEnd() && Peek() != '"') {
        if (Peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
        value.push_back(text_[pos_++]);
      }
      if (AtEnd()) return Error(value_at, "这个带引号的值没有结束的引号");
      ++pos_;
    } else {
      while (!AtEnd() && !absl::ascii_isspace(static_cast<unsigned char>(Peek())) &&
             Peek() != '(' && Peek() != ')') {
        value.push_back(text_[pos_++]);
      }
      if (value.empty()) return Error(value_at, absl::StrCat(name, op, " 之后应有一个值"));
    }
    auto node = std::make_unique<FilterNode>();
    node->field = field;
    node->op = op;
    absl::Status converted = Convert(node.get(), value, value_at, text_[value_at] == '"');
    if (!converted.ok()) return converted;
    return node;
  }

  absl::Status Convert(FilterNode* n, const std::string& value, size_t at, bool quoted) {
    const FieldDescriptor* f = n->field;
    const std::string& name = f->name();
    if (n->op == ":" && value == "*" && !quoted) {
      n->any = true;
      return absl::OkStatus();
    }
    const bool ordering = n->op != "=" && n->op != "!=" && n->op != ":";
    if (f->is_repeated() && n->op != ":" && n->op != "=") {
      return Error(at - 1, absl::StrCat(name, " 有多个值：请写 ", name, ":值"));
    }
    switch (TypeOf(f)) {
      case ValueType::kString:
        n->text = value;
        return absl::OkStatus();
      case ValueType::kEnum: {
        if (ordering) {
          return Error(at, absl::StrCat(name, " 是选项：只能用 = 或 != 比较"));
        }
        const auto* ev = EnumValueByText(f->enum_type(), value);
        if (ev == nullptr) {
          return Error(at, absl::StrCat("\"", value, "\" 不是 ", name, " 的取值；可选：",
                                        EnumChoices(f->enum_type())));
        }
        n->text = ev->name();
        n->enum_number = ev->number();
        return absl::OkStatus();
      }
      case ValueType::kBool: {
        const std::string v = absl::AsciiStrToLower(value);
        if (ordering) return Error(at, absl::StrCat(name, " 取是或否：只能用 = 或 != 比较"));
        if (v == "true" || v == "是" || v == "1") {
          n->boolean = true;
        } else if (v == "false" || v == "否" || v == "0") {
          n->boolean = false;
        } else {
          return Error(at,
                       absl::StrCat("\"", value, "\" 不是 true 或 false（是/否）（", name, "）"));
        }
        n->text = n->boolean ? "true" : "false";
        return absl::OkStatus();
      }
      case ValueType::kNumber:
        if (!absl::SimpleAtod(value, &n->number)) {
          return Error(at, absl::StrCat("\"", value, "\" 不是数字（", name, "）"));
        }
        n->text = absl::StrCat(n->number);
        return absl::OkStatus();
      case ValueType::kTime: {
        auto t = ParseTimeText(value);
        if (!t.ok()) return Error(at, absl::StrCat(t.status().message(), "（", name, "）"));
        n->time = *t;
        n->text = absl::FormatTime(absl::RFC3339_full, *t, absl::UTCTimeZone());
        return absl::OkStatus();
      }
      case ValueType::kUnsupported:
        break;
    }
    return Error(at, absl::StrCat(name, " 不能用于筛选"));
  }

  std::string FieldList() const {
    std::vector<std::string> names;
    if (!fields_.empty()) return absl::StrJoin(fields_, ", ");
    for (int i = 0; i < type_->field_count(); ++i) {
      if (TypeOf(type_->field(i)) != ValueType::kUnsupported)
        names.push_back(type_->field(i)->name());
    }
    return absl::StrJoin(names, ", ");
  }

  absl::string_view text_;
  const Descriptor* type_;
  const std::vector<std::string>& fields_;
  size_t pos_ = 0;
  int nesting_ = 0;
  int comparisons_ = 0;
};

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool Holds(const std::string& op, int cmp) {
  if (op == "=" || op == ":") return cmp == 0;
  if (op == "!=") return cmp != 0;
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;  // >=
}

// Compares element `index` (-1: the singular field) with the node's value.
int CompareValue(const FilterNode& n, const Message& m, int index) {
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* f = n.field;
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (n.op == ":" && !rep) return v.find(n.text) != std::string::npos ? 0 : 1;
      return Compare(v, n.text);
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return Compare(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f),
                     n.enum_number);
    case FieldDescriptor::CPPTYPE_BOOL:
      return Compare(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f), n.boolean);
    case FieldDescriptor::CPPTYPE_INT32:
      return Compare(
          static_cast<double>(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f)),
          n.number);
    case FieldDescriptor::CPPTYPE_INT64:
      return Compare(
          static_cast<double>(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f)),
          n.number);
    case FieldDescriptor::CPPTYPE_UINT32:
      return Compare(
          static_cast<double>(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f)),
          n.number);
    case FieldDescriptor::CPPTYPE_UINT64:
      return Compare(
          static_cast<double>(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f)),
          n.number);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Compare(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), n.number);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Compare(
          static_cast<double>(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f)),
          n.number);
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const auto& ts = static_cast<const google::protobuf::Timestamp&>(
          rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
      absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
      return Compare(t, n.time);
    }
  }
  return 1;
}

bool Evaluate(const FilterNode& n, const Message& m) {
  switch (n.kind) {
    case FilterNode::Kind::kAnd:
      return Evaluate(*n.left, m) && Evaluate(*n.right, m);
    case FilterNode::Kind::kOr:
      return Evaluate(*n.left, m) || Evaluate(*n.right, m);
    case FilterNode::Kind::kNot:
      return !Evaluate(*n.left, m);
    case FilterNode::Kind::kCompare:
      break;
  }
  const Reflection* r = m.GetReflection();
  const FieldDescriptor* f = n.field;
  if (f->is_repeated()) {
    const int size = r->FieldSize(m, f);
    if (n.any) return size > 0;
    for (int i = 0; i < size; ++i) {
      if (CompareValue(n, m, i) == 0) return true;
    }
    return false;
  }
  const bool set = f->has_presence() ? r->HasField(m, f) : true;
  if (n.any) {
    if (!set) return false;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) return !r->GetString(m, f).empty();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) return r->GetEnumValue(m, f) != 0;
    return true;
  }
  if (!set) return n.op == "!=";
  return Holds(n.op, CompareValue(n, m, -1));
}

std::string RenderSql(const FilterNode& n, const std::function<std::string(std::string)>& param) {
  switch (n.kind) {
    case FilterNode::Kind::kAnd:
    case FilterNode::Kind::kOr: {
      // Left before right, so that placeholders number in reading order.
      const std::string left = RenderSql(*n.left, param);
      const std::string right = RenderSql(*n.right, param);
      return absl::StrCat("(", left, n.kind == FilterNode::Kind::kAnd ? " AND " : " OR ", right,
                          ")");
    }
    case FilterNode::Kind::kNot:
      return absl::StrCat("(NOT ", RenderSql(*n.left, param), ")");
    case FilterNode::Kind::kCompare:
      break;
  }
  const std::string& column = n.field->name();
  const ValueType type = TypeOf(n.field);
  if (n.any) {
    return type == ValueType::kString || type == ValueType::kEnum
               ? absl::StrCat("coalesce(", column, "::text <> '', false)")
               : absl::StrCat("(", column, " IS NOT NULL)");
  }
  std::string lhs;
  std::string rhs = param(n.text);
  switch (type) {
    case ValueType::kBool:
      lhs = column;
      rhs += "::boolean";
      break;
    case ValueType::kNumber:
      lhs = column;
      rhs += "::double precision";
      break;
    case ValueType::kTime:
      lhs = column;
      rhs += "::timestamptz";
      break;
    default:
      lhs = absl::StrCat(column, "::text");
  }
  if (n.op == "!=") return absl::StrCat("(", lhs, " IS DISTINCT FROM ", rhs, ")");
  if (n.op == ":" && type == ValueType::kString) {
    return absl::StrCat("coalesce(strpos(", lhs, ", ", rhs, ") > 0, false)");
  }
  const std::string op = n.op == ":" ? "=" : n.op;
  return absl::StrCat("coalesce(", lhs, " ", op, " ", rhs, ", false)");
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

absl::StatusOr<Filter> Filter::Parse(absl::string_view text, const Descriptor* type,
                                     const std::vector<std::string>& fields) {
  Parser parser(text, type, fields);
  auto root = parser.Parse();
  if (!root.ok()) return root.status();
  Filter f;
  f.root_ = *std::move(root);
  return f;
}

bool Filter::Matches(const Message& message) const {
  return root_ == nullptr || Evaluate(*root_, message);
}

std::string Filter::Sql(const std::function<std::string(std::string)>& param) const {
  return root_ == nullptr ? "true" : RenderSql(*root_, param);
}

void FilterRepeated(const Filter& filter, Message* response, const FieldDescriptor* items) {
  if (filter.Empty()) return;
  const Reflection* r = response->GetReflection();
  const int size = r->FieldSize(*response, items);
  int kept = 0;
  for (int i = 0; i < size; ++i) {
    if (!filter.Matches(r->GetRepeatedMessage(*response, items, i))) continue;
    if (kept != i) r->SwapElements(response, items, kept, i);
    ++kept;
  }
  for (int i = size; i > kept; --i) r->RemoveLast(response, items);
}

absl::Status ApplyFilter(absl::string_view text, Message* response) {
  const Descriptor* d = response->GetDescriptor();
  const FieldDescriptor* items = nullptr;
  for (int i = 0; i < d->field_count() && items == nullptr; ++i) {
    if (d->field(i)->is_repeated() && d->field(i)->message_type() != nullptr) items = d->field(i);
  }
  if (items == nullptr) return absl::OkStatus();
  auto filter = Filter::Parse(text, items->message_type());
  if (!filter.ok()) return filter.status();
  FilterRepeated(*filter, response, items);
  return absl::OkStatus();
}

}  // namespace cuofeng
