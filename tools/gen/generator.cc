#include "tools/gen/generator.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/csv/csv.h"
#include "lib/model/identifiers.h"
#include "services/registry/csv_template.h"
#include "services/registry/resources.h"

namespace cuofeng {
namespace {

// 蓟州区 towns (镇乡); 渔阳镇 first (T19: no biomass fuel there from 1 Nov 2018).
const std::pair<const char*, const char*> kTownships[] = {
    {"yuyang", "渔阳镇"},          {"yinliu", "洇溜镇"},
    {"guanzhuang", "官庄镇"},      {"mashenqiao", "马伸桥镇"},
    {"xiaying", "下营镇"},         {"bangjun", "邦均镇"},
    {"bieshan", "别山镇"},         {"youguzhuang", "尤古庄镇"},
    {"shangcang", "上仓镇"},       {"xiacang", "下仓镇"},
    {"luozhuangzi", "罗庄子镇"},   {"baijian", "白涧镇"},
    {"houjiaying", "侯家营镇"},    {"sangzi", "桑梓镇"},
    {"dongshigu", "东施古镇"},     {"xiawotou", "下窝头镇"},
    {"yangjinzhuang", "杨津庄镇"}, {"chutouling", "出头岭镇"},
    {"xilonghuyu", "西龙虎峪镇"},  {"chuanfangyu", "穿芳峪镇"},
    {"dongerying", "东二营镇"},    {"xujiatai", "许家台镇"},
    {"limingzhuang", "礼明庄镇"},  {"dongzhaogezhuang", "东赵各庄镇"},
    {"zhouhewan", "州河湾镇"},     {"sungezhuang", "孙各庄满族乡"}};

// What an enterprise is, in the mix of the seed's district (per 300).
enum class Profile {
  kFoundry,         // 11 (T6)
  kBiomassBoiler,   // 4 (T5)
  kVoc,             // 44 (T60)
  kBrick,           // 20: coal, gas, electricity
  kCementProducts,  // 10
  kChemical,        // 20
  kRestricted,      // 1 (T77)
  kHeating,         // 1 livelihood (§26)
  kWaste,           // 1 livelihood (§26)
  kNewKiln,         // 3 kilns found after 1 Nov 2018, not on the list (T54)
  kOther,           // the rest
};

Profile ProfileOf(int64_t i) {
  int64_t k = i % 300;
  if (k < 11) return Profile::kFoundry;
  if (k < 15) return Profile::kBiomassBoiler;
  if (k < 59) return Profile::kVoc;
  if (k < 79) return Profile::kBrick;
  if (k < 89) return Profile::kCementProducts;
  if (k < 109) return Profile::kChemical;
  if (k < 110) return Profile::kRestricted;
  if (k < 111) return Profile::kHeating;
  if (k < 112) return Profile::kWaste;
  if (k < 115) return Profile::kNewKiln;
  return Profile::kOther;
}

std::string Uscc(const std::string& district, int64_t i) {
  static const char kAlphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  std::string org = "MA";
  int64_t v = i + 1;
  for (int k = 0; k < 7; ++k) {
    org.insert(org.begin() + 2, kAlphabet[v % 31]);
    v /= 31;
  }
  std::string first17 = absl::StrCat("91", district, org);
  return first17 + UsccCheckCharacter(first17);
}

class Writer {
 public:
  Writer(const std::string& dir, bool chinese) : dir_(dir), chinese_(chinese) {}

  void Write(const ResourceKind& kind, const google::protobuf::Message& msg) {
    auto it = files_.find(kind.file);
    if (it == files_.end()) {
      it = files_
               .emplace(kind.file, std::ofstream(std::filesystem::path(dir_) / (kind.file + ".csv"),
                                                 std::ios::binary))
               .first;
      std::vector<std::string> header;
      for (const auto& c : TemplateColumns(kind))
        header.push_back(chinese_ ? c.header_zh : c.header);
      if (chinese_) it->second << "\xEF\xBB\xBF";  // Excel's "CSV UTF-8"
      it->second << FormatCsvRow(header);
    }
    it->second << FormatCsvRow(TemplateRow(kind, msg));
    ++rows_;
  }
  int64_t rows() const { return rows_; }
  bool ok() {
    for (auto& [name, f] : files_) {
      f.flush();
      if (!f) return false;
    }
    return true;
  }

 private:
  std::string dir_;
  bool chinese_;
  std::map<std::string, std::ofstream> files_;
  int64_t rows_ = 0;
};

}  // namespace

absl::StatusOr<GeneratedCounts> GenerateDistrict(const DistrictSpec& spec, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  Writer writer(dir, spec.chinese_headers);
  GeneratedCounts counts =
      GenerateDistrictTo(spec, [&](const ResourceKind& kind, const google::protobuf::Message& msg) {
        writer.Write(kind, msg);
      });
  counts.rows = writer.rows();
  if (!writer.ok()) return absl::InternalError(absl::StrCat("cannot write the files in ", dir));
  return counts;
}

GeneratedCounts GenerateDistrictTo(
    const DistrictSpec& spec,
    const std::function<void(const ResourceKind&, const google::protobuf::Message&)>& sink) {
  struct {
    const std::function<void(const ResourceKind&, const google::protobuf::Message&)>& sink;
    int64_t rows = 0;
    void Write(const ResourceKind& kind, const google::protobuf::Message& msg) {
      sink(kind, msg);
      ++rows;
    }
    int64_t Rows() const { return rows; }
  } out{sink};
  std::mt19937_64 rng(spec.seed);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) / static_cast<double>(1ULL << 53);
  };
  auto chance = [&](double p) { return uniform(0, 1) < p; };
  auto round1 = [](double v) { return std::round(v * 10) / 10; };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };

  GeneratedCounts counts;
  const std::string district = absl::StrCat("districts/", spec.district_id);
  const ResourceKind& township_kind = *KindByFile("townships");
  for (const auto& [id, name] : kTownships) {
    v1::Township t;
    t.set_name(ChildName(township_kind, district, id));
    t.set_display_name(name);
    out.Write(township_kind, t);
    ++counts.townships;
  }

  const int64_t n = std::max<int64_t>(1, spec.enterprises);
  const int64_t base = std::max<int64_t>(1, spec.equipment / n);
  const int64_t extra = spec.equipment > n ? spec.equipment % n : 0;
  double totals[4] = {0, 0, 0, 0};  // PM, SO2, NOx, VOCs t/a
  int64_t plate = 0;

  for (int64_t i = 0; i < n; ++i) {
    const Profile profile = ProfileOf(i);
    const std::string eid = absl::StrCat("e", 10000 + i);
    v1::Enterprise e;
    e.set_name(ChildName(EnterpriseKind(), district, eid));
    const int town = profile == Profile::kBiomassBoiler && i % 300 == 11 ? 0 : 1 + pick(25);
    e.set_township(ChildName(township_kind, district, kTownships[town].first));
    e.set_uscc(Uscc(spec.district_id, i));
    e.set_permit_status(chance(0.9) ? v1::PERMIT_VALID : v1::PERMIT_NONE);
    if (e.permit_status() == v1::PERMIT_VALID)
      e.set_permit_number(absl::StrCat("91120119", eid, "001P"));
    e.set_permit_compliant(chance(0.95));
    e.set_stably_meets_standards(chance(0.92));
    e.set_performance_grade(v1::UNGRADED);
    e.set_responsible_person(absl::StrCat("负责人", i + 1));
    e.set_contact_phone(absl::StrCat("022-", 29000000 + i));
    // Where the plant is, for the map: its township's place on a grid over
    // 蓟州区 (about 117.2-117.7 E, 39.8-40.2 N) and a spread within it. Derived
    // from the indices alone, so the random draws (and every other fact) stay
    // as they were.
    e.set_longitude(
        std::round((117.22 + (town % 6) * 0.09 + ((i * 7919) % 997 / 997.0 - 0.5) * 0.07) * 1e5) /
        1e5);
    e.set_latitude(
        std::round((40.2 - (town / 6) * 0.09 + ((i * 104729) % 991 / 991.0 - 0.5) * 0.07) * 1e5) /
        1e5);
    std::string town_name = kTownships[town].second;
    std::string product;
    v1::EquipmentType main_type = v1::OTHER_EQUIPMENT;
    v1::KilnType kiln_type = v1::KILN_TYPE_UNSPECIFIED;
    v1::Fuel fuel = v1::ELECTRICITY;
    double pm = uniform(5, 30), so2 = uniform(10, 150), nox = uniform(50, 300), voc = 0;
    switch (profile) {
      case Profile::kFoundry:
        e.set_display_name(absl::StrCat("天津市蓟州区", town_name, "铸造厂", i + 1));
        e.set_industry_code("C3391");
        e.set_industry_category(v1::FOUNDRY);
        product = "铸件";
        main_type = i % 3 == 0 ? v1::INDUCTION_FURNACE : v1::CUPOLA;
        fuel = main_type == v1::CUPOLA ? v1::COAL : v1::ELECTRICITY;
        // Some benchmark (≤ 20 / ≤ 100 mg/m³), some not (SP4, §26).
        pm = i % 2 == 0 ? round1(uniform(8, 20)) : round1(uniform(21, 45));
        so2 = i % 2 == 0 ? round1(uniform(30, 100)) : round1(uniform(101, 300));
        break;
      case Profile::kBiomassBoiler:
        e.set_display_name(absl::StrCat("蓟州区", town_name, "食品有限公司", i + 1));
        e.set_industry_code("C1439");
        e.set_industry_category(v1::FOOD);
        product = "食品";
        main_type = v1::BOILER;
        fuel = v1::BIOMASS;
        break;
      case Profile::kVoc:
        e.set_display_name(absl::StrCat("天津", town_name,
                                        (i % 3 == 0   ? "家具"
                                         : i % 3 == 1 ? "印刷"
                                                      : "涂装"),
                                        "有限公司", i + 1));
        e.set_industry_code(i % 3 == 0 ? "C2110" : i % 3 == 1 ? "C2319" : "C3360");
        e.set_industry_category(i % 3 == 0   ? v1::FURNITURE
                                : i % 3 == 1 ? v1::PRINTING
                                             : v1::SURFACE_COATING);
        product = "涂装件";
        main_type = i % 3 == 1 ? v1::PRINTING_PRESS : v1::COATING_LINE;
        voc = round1(uniform(20, 120));
        break;
      case Profile::kBrick:
        e.set_display_name(absl::StrCat("蓟州区", town_name, "砖厂", i + 1));
        e.set_industry_code("C3031");
        e.set_industry_category(v1::BUILDING_MATERIALS);
        product = "砖";
        main_type = v1::KILN;
        kiln_type = v1::ROASTING_KILN;
        fuel = i % 3 == 0 ? v1::COAL : i % 3 == 1 ? v1::NATURAL_GAS : v1::ELECTRICITY;
        e.set_bulk_transport(true);
        break;
      case Profile::kCementProducts:
        e.set_display_name(absl::StrCat("天津", town_name, "水泥制品有限公司", i + 1));
        e.set_industry_code("C3021");
        e.set_industry_category(v1::BUILDING_MATERIALS);
        product = "水泥制品";
        main_type = v1::KILN;
        kiln_type = v1::DRYING_KILN;
        fuel = i % 2 == 0 ? v1::NATURAL_GAS : v1::COAL;
        e.set_bulk_transport(true);
        break;
      case Profile::kChemical:
        e.set_display_name(absl::StrCat("天津", town_name, "化工有限公司", i + 1));
        e.set_industry_code("C2614");
        e.set_industry_category(v1::CHEMICALS);
        product = "化工产品";
        main_type = v1::REACTOR;
        voc = round1(uniform(10, 80));
        fuel = v1::NATURAL_GAS;
        break;
      case Profile::kRestricted:
        e.set_display_name(absl::StrCat("蓟州区", town_name, "石灰窑厂", i + 1));
        e.set_industry_code("C3012");
        e.set_industry_category(v1::BUILDING_MATERIALS);
        e.set_restricted_class(true);
        e.set_overcapacity(true);
        product = "石灰";
        main_type = v1::KILN;
        kiln_type = v1::ROASTING_KILN;
        fuel = v1::COAL;
        e.set_bulk_transport(true);
        break;
      case Profile::kHeating:
        e.set_display_name(absl::StrCat("天津市蓟州区", town_name, "供热有限公司", i + 1));
        e.set_industry_code("D4430");
        e.set_industry_category(v1::ENERGY_HEATING);
        e.set_supplies_heating(true);
        e.set_livelihood_cap_percent(80);
        product = "供热";
        main_type = v1::BOILER;
        fuel = v1::COAL;
        break;
      case Profile::kWaste:
        e.set_display_name(absl::StrCat("天津蓟州", town_name, "水泥窑协同处置有限公司", i + 1));
        e.set_industry_code("C3011");
        e.set_industry_category(v1::BUILDING_MATERIALS);
        e.set_coprocesses_hazardous_waste(true);
        e.set_coprocesses_municipal_waste(true);
        e.set_livelihood_cap_percent(60);
        e.set_overcapacity(true);
        e.set_bulk_transport(true);
        product = "水泥熟料";
        main_type = v1::KILN;
        kiln_type = v1::ROASTING_KILN;
        fuel = v1::COAL;
        break;
      case Profile::kNewKiln:
        e.set_display_name(absl::StrCat("蓟州区", town_name, "耐火材料厂", i + 1));
        e.set_industry_code("C3089");
        e.set_industry_category(v1::BUILDING_MATERIALS);
        product = "耐火材料";
        main_type = v1::KILN;
        kiln_type = v1::HEATING_FURNACE;
        fuel = v1::COAL;
        break;
      case Profile::kOther:
        e.set_display_name(
            absl::StrCat("天津", town_name, (i % 2 ? "塑料制品" : "机械加工"), "有限公司", i + 1));
        e.set_industry_code(i % 2 ? "C2927" : "C3484");
        e.set_industry_category(i % 2 ? v1::RUBBER_PLASTICS : v1::OTHER_INDUSTRY);
        product = i % 2 ? "塑料制品" : "机械零件";
        main_type = i % 2 ? v1::MIXER : v1::OTHER_EQUIPMENT;
        voc = i % 2 ? round1(uniform(5, 40)) : 0;
        break;
    }
    const double capacity = round1(uniform(20, 500));
    e.set_approved_capacity_daily(capacity);
    e.set_permitted_capacity_daily(round1(capacity * uniform(0.9, 1.0)));
    e.set_last_year_output_daily(round1(capacity * uniform(0.6, 0.95)));
    e.set_output_unit("t/d");
    out.Write(EnterpriseKind(), e);
    ++counts.enterprises;

    const int64_t equipment_here = base + (i < extra ? 1 : 0);
    const int64_t lines = std::min<int64_t>(3, (equipment_here + 5) / 6);
    std::vector<std::string> line_names, process_names;
    for (int64_t l = 0; l < lines; ++l) {
      v1::ProductionLine line;
      line.set_name(ChildName(*KindByFile("lines"), e.name(), absl::StrCat("l", l + 1)));
      line.set_display_name(absl::StrCat(l + 1, "号", product, "生产线"));
      line.set_product(product);
      line.set_capacity_daily(round1(capacity / lines));
      line.set_capacity_unit("t/d");
      out.Write(*KindByFile("lines"), line);
      line_names.push_back(line.name());
      ++counts.lines;
      const char* steps[] = {"主工序", "辅助工序"};
      for (int p = 0; p < 2; ++p) {
        v1::Process proc;
        proc.set_name(ChildName(*KindByFile("processes"), line.name(), absl::StrCat("p", p + 1)));
        proc.set_display_name(absl::StrCat(steps[p]));
        proc.set_quick_safe_stop(p == 1 || profile != Profile::kChemical);
        out.Write(*KindByFile("processes"), proc);
        process_names.push_back(proc.name());
        ++counts.processes;
      }
    }
    std::string main_equipment;
    std::vector<std::string> main_of_line;  // the main equipment of each line
    for (int64_t q = 0; q < equipment_here; ++q) {
      // Main equipment on the main step of each line; auxiliary ones after.
      const bool main = q < lines;
      const std::string& parent = process_names[main ? q * 2 : ((q - lines) % lines) * 2 + 1];
      v1::Equipment eq;
      eq.set_name(ChildName(*KindByFile("equipment"), parent, absl::StrCat("q", q + 1)));
      if (main) {
        eq.set_type(main_type);
        eq.set_kiln_type(kiln_type);
        eq.set_fuel(fuel);
        eq.set_display_name(absl::StrCat(
            q + 1, "号", v1::EquipmentType_Name(main_type) == "KILN" ? "窑" : "主设备"));
        eq.set_rated_capacity(main_type == v1::BOILER
                                  ? (profile == Profile::kHeating ? 40 : round1(uniform(2, 10)))
                                  : round1(uniform(1, 20)));
        eq.set_capacity_unit(main_type == v1::BOILER ? "t/h" : "t/h");
        eq.set_pm_concentration(round1(pm));
        if (fuel != v1::ELECTRICITY || profile == Profile::kFoundry) {
          eq.set_so2_concentration(round1(so2));
          eq.set_nox_concentration(round1(nox));
        }
        if (voc > 0) eq.set_voc_concentration(voc);
        // A few pieces without measurements: the bureau must see "data missing".
        if (i % 97 == 42) {
          eq.clear_pm_concentration();
          eq.clear_so2_concentration();
        } else {
          eq.set_pm_annual(round1(uniform(0.5, 8)));
          eq.set_so2_annual(round1(uniform(0.2, 12)));
          eq.set_nox_annual(round1(uniform(0.5, 20)));
          if (voc > 0) eq.set_voc_annual(round1(uniform(0.5, 10)));
        }
        const bool tall = i % 17 == 3;
        eq.set_stack_height_m(tall ? (i % 2 ? 46 : 45) : round1(uniform(15, 40)));
        eq.set_cems_installed(main_type == v1::CUPOLA ? i % 4 != 1 : (tall || chance(0.2)));
        if (eq.cems_installed())
          eq.set_cems_transmission_rate(tall && i % 3 == 0 ? 89 : round1(uniform(90, 99.9)));
        eq.set_on_kiln_list(main_type == v1::KILN || main_type == v1::CUPOLA
                                ? profile != Profile::kNewKiln
                                : false);
        if (profile == Profile::kNewKiln)
          eq.set_kiln_found_date(absl::StrCat("2018-11-0", 2 + i % 7));
        eq.set_dust_control(i % 11 == 5 ? v1::CYCLONE : v1::BAGHOUSE);
        eq.set_desulfurization(fuel == v1::COAL
                                   ? (i % 13 == 4 ? v1::SIMPLE_ALKALI : v1::LIMESTONE_GYPSUM)
                                   : v1::NO_DESULFURIZATION);
        eq.set_control_equipment("布袋除尘器");
        eq.set_quick_safe_stop(profile != Profile::kChemical);
        main_equipment = main_equipment.empty() ? eq.name() : main_equipment;
        main_of_line.push_back(eq.name());
        if (eq.has_pm_annual()) {
          totals[0] += eq.pm_annual();
          totals[1] += eq.so2_annual();
          totals[2] += eq.nox_annual();
          totals[3] += eq.voc_annual();
        }
      } else {
        eq.set_type(q % 2 ? v1::CRUSHER : v1::DRYER);
        eq.set_fuel(v1::ELECTRICITY);
        eq.set_display_name(absl::StrCat(q + 1, "号", q % 2 ? "破碎机" : "烘干机"));
        eq.set_quick_safe_stop(true);
      }
      out.Write(*KindByFile("equipment"), eq);
      ++counts.equipment;
    }
    for (size_t l = 0; l < line_names.size(); ++l) {
      v1::Meter m;
      m.set_name(ChildName(*KindByFile("meters"), e.name(), absl::StrCat("m", l + 1)));
      m.set_display_name(absl::StrCat(l + 1, "号线生产电表"));
      m.set_role(v1::PRODUCTION);
      // On the line's main equipment, which the list's entries name (分表计电).
      if (l < main_of_line.size()) {
        m.set_equipment(main_of_line[l]);
      } else {
        m.set_line(line_names[l]);
      }
      m.set_serial_number(absl::StrCat("DB", 100000 + i * 10 + l));
      m.set_interval_minutes(15);
      m.set_rated_kw(round1(uniform(50, 800)));
      out.Write(*KindByFile("meters"), m);
      ++counts.meters;
    }
    v1::Meter t;
    t.set_name(ChildName(*KindByFile("meters"), e.name(), "t1"));
    t.set_display_name("治污设施电表");
    t.set_role(v1::TREATMENT);
    t.set_equipment(main_equipment);
    t.set_serial_number(absl::StrCat("ZW", 100000 + i));
    t.set_interval_minutes(15);
    t.set_rated_kw(round1(uniform(10, 120)));
    out.Write(*KindByFile("meters"), t);
    ++counts.meters;
    if (e.bulk_transport()) {
      v1::Camera c;
      c.set_name(ChildName(*KindByFile("cameras"), e.name(), "gate1"));
      c.set_display_name("1号门岗摄像头");
      c.set_gate("东门");
      c.set_direction(v1::BOTH);
      c.set_installed_date("2018-09-15");
      out.Write(*KindByFile("cameras"), c);
      ++counts.cameras;
      for (int v = 0; v < 3; ++v) {
        v1::Vehicle veh;
        veh.set_name(
            ChildName(*KindByFile("vehicles"), district, absl::StrCat("v", 10000 + plate)));
        veh.set_plate(absl::StrCat("津R", 10000 + plate));
        std::string vin = absl::StrCat("LZZ1BLNB", 100000000 + plate);
        veh.set_vin(vin.substr(0, 17));
        veh.set_registration_date(absl::StrCat(2010 + plate % 9, "-0", 1 + plate % 9, "-15"));
        const v1::EmissionStage stages[] = {v1::CHINA_3, v1::CHINA_4, v1::CHINA_5, v1::CHINA_6,
                                            v1::ELECTRIC};
        veh.set_emission_stage(stages[plate % 5]);
        veh.set_fuel(veh.emission_stage() == v1::ELECTRIC ? v1::ELECTRICITY : v1::DIESEL);
        veh.set_vehicle_class(v1::HEAVY_GOODS);
        veh.set_fleet(absl::StrCat(town_name, "运输车队"));
        veh.set_engine_number(absl::StrCat("WP10", 500000 + plate));
        veh.set_enterprise(e.name());
        out.Write(*KindByFile("vehicles"), veh);
        ++counts.vehicles;
        // China V and better serving the plant may pass under a T79 ban.
        if (veh.emission_stage() >= v1::CHINA_5) {
          v1::WhitelistEntry w;
          w.set_name(
              ChildName(*KindByFile("whitelist_entries"), e.name(), absl::StrCat("w", v + 1)));
          w.set_vehicle(veh.name());
          w.set_purpose(profile == Profile::kWaste ? v1::LIVELIHOOD : v1::SAFE_OPERATION);
          w.set_valid_from("2018-11-15");
          w.set_valid_until("2019-03-15");
          w.set_document(absl::StrCat("蓟州区重污染天气应急运输保障车辆备案〔2018〕", plate, "号"));
          out.Write(*KindByFile("whitelist_entries"), w);
          ++counts.whitelist_entries;
        }
        ++plate;
      }
    }
    // Retrofit tasks: foundries (T6, by Dec 2018) and VOC treatment (T60).
    if (profile == Profile::kFoundry || profile == Profile::kVoc ||
        profile == Profile::kBiomassBoiler) {
      v1::RetrofitTask task;
      task.set_name(ChildName(*KindByFile("retrofit_tasks"), e.name(), "r1"));
      task.set_kind(profile == Profile::kVoc       ? v1::VOC_TREATMENT
                    : profile == Profile::kFoundry ? v1::EMISSION_CONTROL
                                                   : v1::FUEL_SWITCH);
      task.set_description(profile == Profile::kVoc       ? "VOCs治理设施建设"
                           : profile == Profile::kFoundry ? "铸造企业提标改造"
                                                          : "生物质锅炉改燃");
      task.set_equipment(main_equipment);
      task.set_seed_task(profile == Profile::kVoc       ? "T60"
                         : profile == Profile::kFoundry ? "T6"
                                                        : "T5");
      task.set_deadline(profile == Profile::kBiomassBoiler ? "2018-10-31"
                        : i % 4 == 0                       ? "2018-09-30"
                                                           : "2018-12-31");
      if (i % 4 != 0 && i % 3 != 0) task.set_completed_date("2018-08-20");
      out.Write(*KindByFile("retrofit_tasks"), task);
      ++counts.retrofit_tasks;
    }
  }
  // The inventory: industry is about 60% of the district's total (sample value).
  const v1::Pollutant pollutants[] = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};
  const char* ids[] = {"2017-pm", "2017-so2", "2017-nox", "2017-vocs"};
  for (int p = 0; p < 4; ++p) {
    v1::EmissionTotal t;
    t.set_name(ChildName(*KindByFile("emission_totals"), district, ids[p]));
    t.set_year(2017);
    t.set_pollutant(pollutants[p]);
    t.set_tonnes(std::round(totals[p] / 0.6 * 10) / 10);
    out.Write(*KindByFile("emission_totals"), t);
  }
  counts.rows = out.Rows();
  return counts;
}

}  // namespace cuofeng
