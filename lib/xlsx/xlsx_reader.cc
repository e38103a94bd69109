#include "lib/xlsx/xlsx_reader.h"

#include <expat.h>
#include <unzip.h>

#include <cstring>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace {

// Largest part read (uncompressed): a guard against zip bombs.
constexpr uLong kMaxPart = 256u << 20;

// The zip, read from memory through minizip's I/O callbacks.
struct MemoryFile {
  const std::string* bytes;
  uLong pos = 0;
};

voidpf Open(voidpf opaque, const char*, int) { return opaque; }
uLong Read(voidpf, voidpf stream, void* buf, uLong size) {
  auto* f = static_cast<MemoryFile*>(stream);
  const uLong n = std::min<uLong>(size, f->bytes->size() - f->pos);
  std::memcpy(buf, f->bytes->data() + f->pos, n);
  f->pos += n;
  return n;
}
uLong Write(voidpf, voidpf, const void*, uLong) { return 0; }
long Tell(voidpf, voidpf stream) {
  return static_cast<long>(static_cast<MemoryFile*>(stream)->pos);
}
long Seek(voidpf, voidpf stream, uLong offset, int origin) {
  auto* f = static_cast<MemoryFile*>(stream);
  uLong base = origin == ZLIB_FILEFUNC_SEEK_SET   ? 0
               : origin == ZLIB_FILEFUNC_SEEK_CUR ? f->pos
                                                  : f->bytes->size();
  if (base + offset > f->bytes->size()) return -1;
  f->pos = base + offset;
  return 0;
}
int Close(voidpf, voidpf) { return 0; }
int Error(voidpf, voidpf) { return 0; }

class Zip {
 public:
  explicit Zip(const std::string& bytes) : file_{&bytes} {
    zlib_filefunc_def funcs = {Open, Read, Write, Tell, Seek, Close, Error, &file_};
    zip_ = unzOpen2(nullptr, &funcs);
  }
  ~Zip() {
    if (zip_ != nullptr) unzClose(zip_);
  }
  bool ok() const { return zip_ != nullptr; }

  // Part reads the named part; NOT_FOUND when absent.
  absl::StatusOr<std::string> Part(const std::string& name) {
    if (unzLocateFile(zip_, name.c_str(), 0) != UNZ_OK) {
      return absl::NotFoundError(absl::StrCat("the workbook has no part ", name));
    }
    unz_file_info info;
    if (unzGetCurrentFileInfo(zip_, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK ||
        info.uncompressed_size > kMaxPart || unzOpenCurrentFile(zip_) != UNZ_OK) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read the workbook part ", name));
    }
    std::string out(info.uncompressed_size, '\0');
    int n = out.empty() ? 0 : unzReadCurrentFile(zip_, out.data(), out.size());
    const int closed = unzCloseCurrentFile(zip_);
    if (n < 0 || static_cast<uLong>(n) != info.uncompressed_size || closed != UNZ_OK) {
      return absl::InvalidArgumentError(absl::StrCat("the workbook part ", name, " is damaged"));
    }
    return out;
  }

 private:
  MemoryFile file_;
  unzFile zip_ = nullptr;
};

// A streaming XML walk: start(element, attributes), text, end(element).
struct XmlHandler {
  virtual ~XmlHandler() = default;
  virtual void Start(const char* name, const char** attrs) = 0;
  virtual void Text(const char* s, int len) {}
  virtual void End(const char* name) {}
};

// Local name of a (possibly prefixed) element name.
const char* Local(const char* name) {
  const char* colon = std::strrchr(name, ':');
  return colon ? colon + 1 : name;
}

const char* Attr(const char** attrs, const char* name) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (std::strcmp(Local(attrs[i]), name) == 0) return attrs[i + 1];
  }
  return nullptr;
}

absl::Status ParseXml(const std::string& xml, const std::string& part, XmlHandler* h) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> p(XML_ParserCreate("UTF-8"),
                                                            XML_ParserFree);
  XML_SetUserData(p.get(), h);
  XML_SetElementHandler(
      p.get(),
      [](void* u, const XML_Char* n, const XML_Char** a) {
        static_cast<XmlHandler*>(u)->Start(Local(n), a);
      },
      [](void* u, const XML_Char* n) { static_cast<XmlHandler*>(u)->End(Local(n)); });
  XML_SetCharacterDataHandler(p.get(), [](void* u, const XML_Char* s, int len) {
    static_cast<XmlHandler*>(u)->Text(s, len);
  });
  if (XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the workbook part ", part, " is not well-formed XML (line ",
        XML_GetCurrentLineNumber(p.get()), ": ", XML_ErrorString(XML_GetErrorCode(p.get())), ")"));
  }
  return absl::OkStatus();
}

struct SharedStrings : XmlHandler {
  std::vector<std::string> strings;
  bool in_si = false, in_t = false, in_rph = false;
  void Start(const char* n, const char**) override {
    if (!std::strcmp(n, "si")) {
      in_si = true;
      strings.emplace_back();
    } else if (!std::strcmp(n, "rPh")) {
      in_rph = true;  // phonetic runs are not the cell's text
    } else if (!std::strcmp(n, "t")) {
      in_t = true;
    }
  }
  void Text(const char* s, int len) override {
    if (in_si && in_t && !in_rph) strings.back().append(s, len);
  }
  void End(const char* n) override {
    if (!std::strcmp(n, "si")) in_si = false;
    if (!std::strcmp(n, "rPh")) in_rph = false;
    if (!std::strcmp(n, "t")) in_t = false;
  }
};

struct Workbook : XmlHandler {
  std::vector<std::pair<std::string, std::string>> sheets;  // name, relationship id
  void Start(const char* n, const char** a) override {
    if (!std::strcmp(n, "sheet")) {
      const char* name = Attr(a, "name");
      const char* id = Attr(a, "id");
      if (name && id) sheets.emplace_back(name, id);
    }
  }
};

struct Relationships : XmlHandler {
  std::map<std::string, std::string> targets;
  void Start(const char* n, const char** a) override {
    if (!std::strcmp(n, "Relationship")) {
      const char* id = Attr(a, "Id");
      const char* target = Attr(a, "Target");
      if (id && target) targets[id] = target;
    }
  }
};

// Column index (0-based) of a cell reference such as "AB12".
int ColumnOf(const char* ref) {
  int col = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ++ref) col = col * 26 + (*ref - 'A' + 1);
  return col - 1;
}
int RowOf(const char* ref) {
  while (*ref >= 'A' && *ref <= 'Z') ++ref;
  return std::atoi(ref);
}

struct Sheet : XmlHandler {
  explicit Sheet(const std::vector<std::string>& shared) : shared(shared) {}
  const std::vector<std::string>& shared;
  std::vector<XlsxRow> rows;
  int row = 0, col = 0, next_row = 1;
  std::string type, value;
  bool in_v = false, in_is_t = false, bad_index = false;
  void Start(const char* n, const char** a) override {
    if (!std::strcmp(n, "row")) {
      const char* r = Attr(a, "r");
      row = r ? std::atoi(r) : next_row;
      next_row = row + 1;
      rows.push_back({row, {}});
      col = 0;
    } else if (!std::strcmp(n, "c")) {
      const char* r = Attr(a, "r");
      if (r) {
        col = ColumnOf(r);
        if (RowOf(r) != row && RowOf(r) > 0 && !rows.empty()) rows.back().line = RowOf(r);
      }
      const char* t = Attr(a, "t");
      type = t ? t : "n";
      value.clear();
    } else if (!std::strcmp(n, "v")) {
      in_v = true;
    } else if (!std::strcmp(n, "t") && type == "inlineStr") {
      in_is_t = true;
    }
  }
  void Text(const char* s, int len) override {
    if (in_v || in_is_t) value.append(s, len);
  }
  void End(const char* n) override {
    if (!std::strcmp(n, "v")) in_v = false;
    if (!std::strcmp(n, "t")) in_is_t = false;
    if (!std::strcmp(n, "c")) {
      std::string text = value;
      if (type == "s") {
        const long i = std::strtol(value.c_str(), nullptr, 10);
        if (i >= 0 && static_cast<size_t>(i) < shared.size()) {
          text = shared[i];
        } else {
          bad_index = true;
        }
      } else if (type == "b") {
        text = value == "1" ? "TRUE" : "FALSE";
      } else if (type == "n" && !value.empty()) {
        // Integers as written; other numbers in their shortest form.
        char* end = nullptr;
        const double d = std::strtod(value.c_str(), &end);
        if (end && *end == '\0') {
          char buf[40];
          std::snprintf(buf, sizeof(buf), "%.15g", d);
          text = buf;
        }
      }
      if (!rows.empty() && col >= 0) {
        auto& cells = rows.back().cells;
        if (static_cast<int>(cells.size()) <= col) cells.resize(col + 1);
        cells[col] = text;
      }
      ++col;
    }
  }
};

}  // namespace

absl::StatusOr<std::vector<XlsxSheet>> ReadXlsx(const std::string& bytes) {
  Zip zip(bytes);
  if (!zip.ok()) {
    return absl::InvalidArgumentError("not an XLSX workbook (the file is not a zip container)");
  }
  auto workbook_xml = zip.Part("xl/workbook.xml");
  if (!workbook_xml.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an XLSX workbook: ", workbook_xml.status().message()));
  }
  Workbook wb;
  if (absl::Status s = ParseXml(*workbook_xml, "xl/workbook.xml", &wb); !s.ok()) return s;
  Relationships rels;
  auto rels_xml = zip.Part("xl/_rels/workbook.xml.rels");
  if (!rels_xml.ok()) return absl::InvalidArgumentError(std::string(rels_xml.status().message()));
  if (absl::Status s = ParseXml(*rels_xml, "xl/_rels/workbook.xml.rels", &rels); !s.ok()) return s;
  SharedStrings shared;
  auto shared_xml = zip.Part("xl/sharedStrings.xml");
  if (shared_xml.ok()) {
    if (absl::Status s = ParseXml(*shared_xml, "xl/sharedStrings.xml", &shared); !s.ok()) return s;
  } else if (!absl::IsNotFound(shared_xml.status())) {
    return shared_xml.status();
  }
  std::vector<XlsxSheet> out;
  for (const auto& [name, id] : wb.sheets) {
    auto target = rels.targets.find(id);
    if (target == rels.targets.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the workbook names sheet \"", name, "\" but has no part for it"));
    }
    std::string path = target->second;
    if (absl::StartsWith(path, "/")) {
      path = path.substr(1);
    } else {
      path = absl::StrCat("xl/", path);
    }
    auto xml = zip.Part(path);
    if (!xml.ok()) return absl::InvalidArgumentError(std::string(xml.status().message()));
    Sheet sheet(shared.strings);
    if (absl::Status s = ParseXml(*xml, path, &sheet); !s.ok()) return s;
    if (sheet.bad_index) {
      return absl::InvalidArgumentError(
          absl::StrCat("sheet \"", name, "\" refers to a shared string the workbook lacks"));
    }
    XlsxSheet result;
    result.name = name;
    for (XlsxRow& r : sheet.rows) {
      bool empty = true;
      for (const auto& c : r.cells) empty = empty && c.empty();
      if (!empty) result.rows.push_back(std::move(r));
    }
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace cuofeng
