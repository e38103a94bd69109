#include "lib/documents/list_document.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "lib/csv/csv.h"
#include "lib/model/labels.h"
#include "lib/rules/decision.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

std::string Percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", p);
  std::string s = buf;
  if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
  return s;
}

std::string TransportChinese(v1::TransportRule rule) {
  switch (rule) {
    case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY:
      return "重型载货车禁止进出厂区（国五及以上排放标准的保障类车辆除外）";
    case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
      return "国四及以下排放标准重型载货车禁止进出厂区";
    case v1::NO_ROAD_TRANSPORT:
      return "停止公路运输";
    default:
      return "";
  }
}

const char* KindText(v1::EntryKind k) {
  switch (k) {
    case v1::RESTRICTED:
      return "管控";
    case v1::EXEMPT:
      return "豁免";
    case v1::GUARANTEED:
      return "民生保障";
    case v1::DATA_MISSING:
      return "数据缺失";
    default:
      return "";
  }
}

bool IsEquipment(const v1::ListEntry& e) {
  return e.resource().find("/equipment/") != std::string::npos;
}
bool IsLine(const v1::ListEntry& e) {
  return !IsEquipment(e) && e.resource().find("/lines/") != std::string::npos;
}

std::string ChinaDate(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0) return "";
  const time_t t = static_cast<time_t>(ts.seconds()) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y年%m月%d日 %H:%M", &tm);
  return buf;
}

std::string Tonnes(long long kg) {
  if (kg < 0) return "";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(kg) / 1000.0);
  return buf;
}

std::string CutTonnes(long long grams) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(grams) / 1e6);
  return buf;
}

}  // namespace

EntryFigures FiguresOf(const ListDocument& doc, const v1::ListEntry& e) {
  EntryFigures f;
  if (!IsEquipment(e)) return f;
  auto q = doc.context.equipment.find(e.resource());
  if (q == doc.context.equipment.end()) return f;
  for (size_t p = 0; p < kDocumentPollutants.size(); ++p) {
    f.annual_kg[p] = AnnualKg(q->second, kDocumentPollutants[p]);
  }
  // The proof counts the equipment entries in force at the season start.
  if (e.effective_from() != doc.context.season.start()) return f;
  f.counted = true;
  const v1::Measure* levels[] = {&e.yellow(), &e.orange(), &e.red()};
  for (int l = 0; l < 3; ++l) {
    const long long permille = std::max(CutPermille(e.season()), CutPermille(*levels[l]));
    for (size_t p = 0; p < kDocumentPollutants.size(); ++p) {
      f.cut_grams[l][p] = f.annual_kg[p] > 0 ? f.annual_kg[p] * permille : 0;
    }
  }
  return f;
}

std::string MeasureText(const v1::Measure& m) {
  std::string s;
  switch (m.action()) {
    case v1::RUN:
      s = "正常生产";
      break;
    case v1::VOLUNTARY:
      s = "自主减排";
      break;
    case v1::LIMIT:
      s = absl::StrCat("限产", Percent(m.percent()), "%");
      break;
    case v1::STOP_LINES:
      s = absl::StrCat("按生产线停产", Percent(m.percent()), "%");
      break;
    case v1::CAP:
      s = absl::StrCat("以热定产，负荷不高于", Percent(m.percent()), "%");
      break;
    case v1::STOP:
      s = "停产";
      break;
    case v1::RECTIFY:
      s = "停产整治";
      break;
    default:
      s = "—";
      break;
  }
  if (m.stop_non_road()) absl::StrAppend(&s, "；非道路移动机械停用（安全、应急作业除外）");
  if (m.binds_outside_staggered_period()) absl::StrAppend(&s, "；整个采暖季执行，不随错峰月份调整");
  return s;
}

std::string TransportText(const v1::ListEntry& e) {
  std::vector<std::string> parts;
  const v1::Measure* levels[] = {&e.season(), &e.yellow(), &e.orange(), &e.red()};
  const char* names[] = {"采暖季", "黄色预警", "橙色预警", "红色预警"};
  for (int i = 0; i < 4; ++i) {
    std::string t = TransportChinese(levels[i]->transport());
    if (!t.empty()) parts.push_back(absl::StrCat(names[i], "：", t));
  }
  return absl::StrJoin(parts, "；");
}

std::string Basis(const v1::ListEntry& e) {
  std::vector<std::string> parts;
  for (const auto& r : e.reasons()) {
    std::string head = r.rule_id();
    if (!r.seed_clause().empty()) absl::StrAppend(&head, "（", r.seed_clause(), "）");
    parts.push_back(r.text().empty() ? head : absl::StrCat(head, "：", r.text()));
  }
  return absl::StrJoin(parts, "\n");
}

std::string KeyIndicator(const v1::ListEntry& e) {
  v1::Measure strictest = e.season();
  for (const v1::Measure* m : {&e.yellow(), &e.orange(), &e.red()})
    strictest = Stricter(strictest, *m);
  std::string out;
  switch (strictest.action()) {
    case v1::STOP:
    case v1::RECTIFY:
    case v1::STOP_LINES:
      out = "生产用电量降至正常负荷的25%以下（分表计电核查）";
      break;
    case v1::LIMIT:
      out = absl::StrCat("生产用电量不高于正常负荷的", Percent(100 - strictest.percent()),
                         "%（分表计电核查）");
      break;
    case v1::CAP:
      out = absl::StrCat("负荷不高于", Percent(strictest.percent()), "%（供热量、用电量核查）");
      break;
    default:
      out = "—";
  }
  if (TransportRank(strictest.transport()) > 0) absl::StrAppend(&out, "；门禁车辆电子台账");
  return out;
}

std::string StateText(v1::ListState state) { return ChineseLabel(v1::ListState_Name(state)); }

std::string ListTitle(const ListDocument& doc) {
  if (doc.context.season.start().size() < 4) {
    return absl::StrCat(doc.context.city, doc.context.district_name,
                        "错峰生产及重污染天气应急减排清单");
  }
  std::string season = doc.context.season.start().substr(0, 4);
  if (doc.context.season.end().size() >= 4) {
    absl::StrAppend(&season, "—", doc.context.season.end().substr(0, 4));
  }
  return absl::StrCat(doc.context.city, doc.context.district_name, season,
                      "年采暖季错峰生产及重污染天气应急减排清单");
}

std::vector<std::string> ListFacts(const ListDocument& doc) {
  std::vector<std::string> periods;
  for (const auto& p : doc.list.staggered_periods()) {
    periods.push_back(absl::StrCat(p.start(), " 至 ", p.end()));
  }
  const std::string version = doc.list.name().substr(doc.list.name().rfind('/') + 1);
  std::vector<std::string> out;
  out.push_back(absl::StrCat("采暖季：", doc.context.season.start(), " 至 ",
                             doc.context.season.end(), "；错峰生产期：",
                             periods.empty() ? "无" : absl::StrJoin(periods, "，"), "；备案期限：",
                             doc.context.season.filing_deadline()));
  std::string filing = absl::StrCat("清单版本：", version, "（", doc.list.name(), "）；状态：",
                                    StateText(doc.list.state()));
  if (doc.filing.has_submit_time()) {
    absl::StrAppend(&filing, "；报送日期：", ChinaDate(doc.filing.submit_time()),
                    doc.filing.late() ? "（逾期报送）" : "");
  }
  if (doc.filing.has_acknowledge_time()) {
    absl::StrAppend(&filing, "；备案确认日期：", ChinaDate(doc.filing.acknowledge_time()));
  }
  if (!doc.list.amends().empty()) {
    absl::StrAppend(&filing, "；变更自：", doc.list.amends(), "（", doc.list.amendment_reason(),
                    "）");
  }
  out.push_back(filing);
  out.push_back(absl::StrCat(
      "清单内容哈希（SHA-256）：", doc.list.content_sha256(),
      doc.filing.sha256().empty() ? "" : absl::StrCat("；备案链哈希：", doc.filing.sha256())));
  out.push_back(absl::StrCat("规则集：", doc.list.rule_set(), "@", doc.list.rule_set_revision(),
                             "；条目 ", doc.entries.size(), " 条（管控 ", doc.list.restricted(),
                             "，豁免 ", doc.list.exempt(), "，民生保障 ", doc.list.guaranteed(),
                             "，数据缺失 ", doc.list.data_missing(), "）；生成于 ",
                             doc.context.rendered_at));
  return out;
}

const std::vector<std::string>& ListHeader() {
  static const std::vector<std::string> header = {"序号",
                                                  "区/镇乡",
                                                  "企业名称",
                                                  "统一社会信用代码",
                                                  "所属行业",
                                                  "生产线",
                                                  "工序",
                                                  "设备",
                                                  "类别",
                                                  "错峰措施（采暖季）",
                                                  "黄色预警",
                                                  "橙色预警",
                                                  "红色预警",
                                                  "运输管控",
                                                  "安全生产措施",
                                                  "起始日期",
                                                  "颗粒物年排放量（吨）",
                                                  "二氧化硫年排放量（吨）",
                                                  "氮氧化物年排放量（吨）",
                                                  "挥发性有机物年排放量（吨）",
                                                  "红色预警颗粒物减排量（吨）",
                                                  "红色预警二氧化硫减排量（吨）",
                                                  "红色预警氮氧化物减排量（吨）",
                                                  "红色预警挥发性有机物减排量（吨）",
                                                  "依据"};
  return header;
}

std::vector<std::string> ListRow(const ListDocument& doc, const v1::ListEntry& e, int seq) {
  auto town = doc.context.township.find(e.enterprise());
  const EntryFigures f = FiguresOf(doc, e);
  std::vector<std::string> row = {
      absl::StrCat(seq),
      absl::StrCat(doc.context.district_name,
                   town == doc.context.township.end() || town->second.empty()
                       ? ""
                       : absl::StrCat("/", town->second)),
      e.enterprise_name(),
      e.uscc(),
      e.industry(),
      IsEquipment(e) || IsLine(e) ? e.line_name() : "全厂",
      IsEquipment(e) ? e.process_name() : "",
      IsEquipment(e) ? e.resource_name() : "",
      KindText(e.kind()),
      MeasureText(e.season()),
      MeasureText(e.yellow()),
      MeasureText(e.orange()),
      MeasureText(e.red()),
      TransportText(e),
      e.safety_measure(),
      e.effective_from()};
  for (size_t p = 0; p < 4; ++p) row.push_back(Tonnes(f.annual_kg[p]));
  for (size_t p = 0; p < 4; ++p) row.push_back(f.counted ? CutTonnes(f.cut_grams[2][p]) : "");
  row.push_back(Basis(e));
  return row;
}

std::string ListCsv(const ListDocument& doc) {
  std::string out = "\xEF\xBB\xBF";
  std::vector<std::string> header = ListHeader();
  for (const char* h : {"区县", "清单版本", "清单内容哈希"}) header.push_back(h);
  out += FormatCsvRow(header);
  const std::string district = absl::StrCat(doc.context.city, doc.context.district_name);
  int seq = 0;
  for (const auto& e : doc.entries) {
    std::vector<std::string> row = ListRow(doc, e, ++seq);
    row.back() = absl::StrReplaceAll(row.back(), {{"\n", "；"}});
    row.push_back(district);
    row.push_back(doc.list.name());
    row.push_back(doc.list.content_sha256());
    out += FormatCsvRow(row);
  }
  return out;
}

std::string PlantSheetName(const std::string& display_name, int max_chars) {
  std::string s;
  int chars = 0;
  for (size_t i = 0; i < display_name.size() && chars < max_chars;) {
    const unsigned char c = display_name[i];
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    std::string ch = display_name.substr(i, n);
    if (n == 1 && std::string("[]:*?/\\'").find(ch) != std::string::npos) ch = "_";
    s += ch;
    i += n;
    ++chars;
  }
  return s.empty() ? "企业" : s;
}

}  // namespace cuofeng
