#include "lib/model/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace cuofeng {

const std::map<std::string, std::vector<std::string>>& EnumValueLabels() {
  static const auto* m = new std::map<std::string, std::vector<std::string>>{
      {"BUILDING_MATERIALS", {"建材"}},
      {"FOUNDRY", {"铸造"}},
      {"CHEMICALS", {"化工"}},
      {"STEEL", {"钢铁"}},
      {"COKING", {"焦化"}},
      {"NONFERROUS", {"有色"}},
      {"PHARMACEUTICALS", {"制药"}},
      {"FURNITURE", {"家具"}},
      {"PRINTING", {"印刷"}},
      {"SURFACE_COATING", {"工业涂装", "涂装"}},
      {"RUBBER_PLASTICS", {"橡胶塑料"}},
      {"FOOD", {"食品"}},
      {"ENERGY_HEATING", {"热力供应", "供热"}},
      {"WASTE_TREATMENT", {"废物处置"}},
      {"OTHER_INDUSTRY", {"其他"}},
      {"PERMIT_VALID", {"已发证", "有效"}},
      {"PERMIT_EXPIRED", {"已过期"}},
      {"PERMIT_NONE", {"未发证", "无"}},
      {"PERMIT_NOT_REQUIRED", {"无需发证", "登记管理"}},
      {"GRADE_A", {"A", "A级"}},
      {"GRADE_LEADING", {"引领性"}},
      {"GRADE_B", {"B", "B级"}},
      {"GRADE_C", {"C", "C级"}},
      {"GRADE_D", {"D", "D级"}},
      {"GRADE_LIVELIHOOD", {"保障类"}},
      {"UNGRADED", {"未分级"}},
      {"KILN", {"工业炉窑", "炉窑"}},
      {"CUPOLA", {"冲天炉"}},
      {"INDUCTION_FURNACE", {"中频炉"}},
      {"BOILER", {"锅炉"}},
      {"DRYER", {"烘干机"}},
      {"COATING_LINE", {"涂装线"}},
      {"REACTOR", {"反应釜"}},
      {"STORAGE_TANK", {"储罐"}},
      {"CRUSHER", {"破碎机"}},
      {"MIXER", {"搅拌机"}},
      {"PRINTING_PRESS", {"印刷机"}},
      {"OTHER_EQUIPMENT", {"其他"}},
      {"SMELTING_FURNACE", {"熔炼炉"}},
      {"MELTING_FURNACE", {"熔化炉"}},
      {"ROASTING_KILN", {"焙烧炉", "煅烧窑", "焙(煅)烧炉(窑)"}},
      {"HEATING_FURNACE", {"加热炉"}},
      {"HEAT_TREATMENT", {"热处理炉"}},
      {"DRYING_KILN", {"干燥炉", "干燥窑"}},
      {"COKE_OVEN", {"焦炉"}},
      {"GAS_PRODUCER", {"煤气发生炉"}},
      {"OTHER_KILN", {"其他炉窑"}},
      {"COAL", {"煤", "燃煤"}},
      {"NATURAL_GAS", {"天然气"}},
      {"ELECTRICITY", {"电", "电能"}},
      {"BIOMASS", {"生物质"}},
      {"PETROLEUM_COKE", {"石油焦"}},
      {"HEAVY_OIL", {"重油"}},
      {"DIESEL", {"柴油"}},
      {"GASOLINE", {"汽油"}},
      {"LPG", {"液化石油气"}},
      {"COAL_GAS", {"煤气"}},
      {"NO_FUEL", {"无燃料"}},
      {"NO_DUST_CONTROL", {"无除尘"}},
      {"GRAVITY_SETTLING", {"重力沉降室"}},
      {"CYCLONE", {"旋风除尘"}},
      {"MULTI_TUBE", {"多管除尘"}},
      {"WATER_FILM", {"水膜除尘"}},
      {"BIO_DUST_SUPPRESSION", {"生物降尘"}},
      {"BAGHOUSE", {"袋式除尘", "布袋除尘"}},
      {"ELECTROSTATIC", {"静电除尘"}},
      {"WET_ELECTROSTATIC", {"湿式电除尘"}},
      {"ELECTRO_BAG", {"电袋复合"}},
      {"NO_DESULFURIZATION", {"无脱硫"}},
      {"WATER_WASHING", {"水洗"}},
      {"SIMPLE_ALKALI", {"简易碱法"}},
      {"SIMPLE_AMMONIA", {"简易氨法"}},
      {"BIOLOGICAL_DESULFURIZATION", {"生物脱硫"}},
      {"LIMESTONE_GYPSUM", {"石灰石-石膏法"}},
      {"SEMI_DRY", {"半干法"}},
      {"SDS_DRY", {"SDS干法"}},
      {"DOUBLE_ALKALI", {"双碱法"}},
      {"PRODUCTION", {"生产", "生产用电"}},
      {"TREATMENT", {"治污", "治污设施用电"}},
      {"TOTAL", {"总表"}},
      {"ENTRY", {"入口"}},
      {"EXIT", {"出口"}},
      {"BOTH", {"出入口"}},
      {"HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY", {"重型载货车禁止进出（国五及以上保障类车辆除外）"}},
      {"NO_CHINA4_OR_OLDER_HEAVY_TRUCKS", {"国四及以下重型载货车禁止进出"}},
      {"NO_ROAD_TRANSPORT", {"停止公路运输"}},
      {"CHINA_0", {"0", "国0"}},
      {"CHINA_1", {"1", "国一", "国1", "国I"}},
      {"CHINA_2", {"2", "国二", "国2", "国II"}},
      {"CHINA_3", {"3", "国三", "国3", "国III"}},
      {"CHINA_4", {"4", "国四", "国4", "国IV"}},
      {"CHINA_5", {"5", "国五", "国5", "国V"}},
      {"CHINA_6", {"6", "国六", "国6", "国VI"}},
      {"ELECTRIC", {"D", "电动", "新能源"}},
      {"HEAVY_GOODS", {"重型载货车", "重型货车"}},
      {"MEDIUM_GOODS", {"中型载货车"}},
      {"LIGHT_GOODS", {"轻型载货车"}},
      {"PASSENGER", {"客车"}},
      {"NON_ROAD", {"非道路移动机械"}},
      {"EMISSION_CONTROL", {"提标改造"}},
      {"VOC_TREATMENT", {"VOCs治理"}},
      {"KILN_UPGRADE", {"炉窑治理"}},
      {"BOILER_REPLACEMENT", {"锅炉改燃", "锅炉淘汰"}},
      {"CEMS_INSTALLATION", {"在线监测安装"}},
      {"FUEL_SWITCH", {"清洁能源替代"}},
      {"DUST_SUPPRESSION", {"无组织排放治理"}},
      {"OTHER_RETROFIT", {"其他改造"}},
      {"PM", {"颗粒物"}},
      {"SO2", {"二氧化硫"}},
      {"NOX", {"氮氧化物"}},
      {"VOCS", {"挥发性有机物", "VOCs"}},
      // Planning, compliance and keys, as the CLI shows them and filters read them.
      {"YELLOW", {"黄色", "黄色预警"}},
      {"ORANGE", {"橙色", "橙色预警"}},
      {"RED", {"红色", "红色预警"}},
      {"RUN", {"正常生产"}},
      {"VOLUNTARY", {"自主减排"}},
      {"LIMIT", {"限产"}},
      {"STOP_LINES", {"按生产线停产"}},
      {"CAP", {"以热定产"}},
      {"STOP", {"停产"}},
      {"RECTIFY", {"停产整治"}},
      {"RESTRICTED", {"管控"}},
      {"EXEMPT", {"豁免"}},
      {"GUARANTEED", {"民生保障"}},
      {"DATA_MISSING", {"数据缺失"}},
      {"DRAFT", {"草稿"}},
      {"SUBMITTED", {"已报送"}},
      {"FILED", {"已备案"}},
      {"SUPERSEDED", {"已替代"}},
      {"STOP_NOT_KEPT", {"未按要求停产"}},
      {"LIMIT_EXCEEDED", {"超出限产要求"}},
      {"TREATMENT_OFF", {"治污设施未运行"}},
      {"DATA_GAP", {"数据不全"}},
      {"NO_BASELINE", {"无基线"}},
      {"BANNED_TRUCK", {"违规车辆进出"}},
      {"LEDGER_ROW_MISSING", {"无台账记录"}},
      {"PASSAGE_MISSING", {"无过车记录"}},
      {"CAMERA_SILENT", {"门禁无数据"}},
      {"UNKNOWN_PLATE", {"未登记车辆"}},
      {"TREATMENT_SILENT", {"治污设施电表无数据"}},
      {"SUSPECTED_CLOCK_OFFSET", {"疑似时钟偏差"}},
      {"CEMS_TRANSMISSION_LOW", {"数据传输有效率不足"}},
      {"CEMS_SILENT_IN_WINDOW", {"停限产期间在线监测异常"}},
      {"CEMS_OVER_LIMIT", {"在线监测超标"}},
      {"CEMS_FLOW_IN_STOP", {"停产期间烟气流量未降"}},
      {"CEMS_SUSPECT_DATA", {"疑似数据造假"}},
      {"MATERIAL_BALANCE", {"物料衡算异常"}},
      {"OPEN", {"待核查"}},
      {"CONFIRMED", {"已确认"}},
      {"DISMISSED", {"已排除"}},
      {"CONFIRM", {"确认"}},
      {"DISMISS", {"排除"}},
      {"ADMIN", {"管理员"}},
      {"CITY", {"市级"}},
      {"BUREAU", {"区级"}},
      {"ENTERPRISE", {"企业"}},
      {"VERIFIER", {"核查人员"}},
      {"SERVICE", {"服务"}},
      {"INTERVAL_KWH", {"电量"}},
      {"CUMULATIVE_KWH", {"表码"}},
      {"KW", {"功率"}},
      {"ADDED", {"新增"}},
      {"REMOVED", {"删除"}},
      {"MEASURE_CHANGED", {"措施变更"}},
      {"REASON_CHANGED", {"依据变更"}}};
  return *m;
}

std::string ChineseLabel(absl::string_view value_name) {
  auto it = EnumValueLabels().find(std::string(value_name));
  return it == EnumValueLabels().end() ? std::string(value_name) : it->second.front();
}

const google::protobuf::EnumValueDescriptor* EnumValueByText(
    const google::protobuf::EnumDescriptor* type, absl::string_view text) {
  const std::string cell(absl::StripAsciiWhitespace(text));
  const std::string upper = absl::AsciiStrToUpper(cell);
  const google::protobuf::EnumValueDescriptor* found = type->FindValueByName(upper);
  for (int i = 0; found == nullptr && i < type->value_count(); ++i) {
    auto it = EnumValueLabels().find(type->value(i)->name());
    if (it == EnumValueLabels().end()) continue;
    for (const auto& label : it->second) {
      if (label == cell || absl::AsciiStrToUpper(label) == upper) found = type->value(i);
    }
  }
  return found == nullptr || found->number() == 0 ? nullptr : found;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::vector<std::string> choices;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    const std::string& name = type->value(i)->name();
    const std::string label = ChineseLabel(name);
    choices.push_back(label == name ? name : absl::StrCat(name, " ", label));
  }
  return absl::StrJoin(choices, ", ");
}

}  // namespace cuofeng
