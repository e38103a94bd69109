// Every word the pages show, in one place (zh-CN). Codes come from the API.
export const ROLE = {
  ADMIN: '管理员', CITY: '市工信委/市环保局', BUREAU: '区工信委/区环保局',
  ENTERPRISE: '企业', VERIFIER: '核查人员', SERVICE: '系统服务',
};
export const ACTION = {
  ACTION_UNSPECIFIED: '未规定', RUN: '正常生产', VOLUNTARY: '自主减排', LIMIT: '限产',
  STOP_LINES: '按生产线停产', CAP: '以热定产', STOP: '停产', RECTIFY: '停产整治',
};
export const LEVEL = {
  ALERT_LEVEL_UNSPECIFIED: '无预警', YELLOW: '黄色预警', ORANGE: '橙色预警', RED: '红色预警',
};
export const TRANSPORT = {
  TRANSPORT_RULE_UNSPECIFIED: '', NO_TRANSPORT_RULE: '',
  HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY: '重型货车禁止进出（国五及以上保障类车辆除外）',
  NO_CHINA4_OR_OLDER_HEAVY_TRUCKS: '国四及以下重型货车禁止进出',
  NO_ROAD_TRANSPORT: '停止公路运输',
};
export const FINDING_TYPE = {
  STOP_NOT_KEPT: '未落实停产', LIMIT_EXCEEDED: '超出限产要求', TREATMENT_OFF: '治污设施未运行',
  DATA_GAP: '监测数据缺失', NO_BASELINE: '无基准数据', BANNED_TRUCK: '违规车辆进出',
  LEDGER_ROW_MISSING: '缺少台账记录', PASSAGE_MISSING: '台账无对应过车记录',
  CAMERA_SILENT: '门禁摄像头无数据', UNKNOWN_PLATE: '未登记车辆', TREATMENT_SILENT: '治污设施电表无数据',
  SUSPECTED_CLOCK_OFFSET: '疑似时钟偏差',
  CEMS_TRANSMISSION_LOW: '数据传输有效率不足', CEMS_SILENT_IN_WINDOW: '停限产期间在线监测异常',
  CEMS_OVER_LIMIT: '在线监测超标', CEMS_FLOW_IN_STOP: '停产期间烟气流量未降',
  CEMS_SUSPECT_DATA: '疑似数据造假', MATERIAL_BALANCE: '物料衡算异常',
};
export const FINDING_STATUS = {
  OPEN: '待核实', CONFIRMED: '已确认', DISMISSED: '已撤销', FINDING_SUPERSEDED: '已被后续核查取代',
};
export const T = {
  appName: '错峰生产',
  login: '登录', username: '用户名', password: '密码', logout: '退出',
  changePassword: '修改初始密码', oldPassword: '当前（初始）密码', newPassword: '新密码',
  newPassword2: '再次输入新密码', passwordsDiffer: '两次输入的新密码不一致',
  firstLogin: '首次登录须修改初始密码。新密码至少 10 个字符。',
  now: '当前要求', restOfDay: '今日余下时段', alerts: '预警记录', findings: '核查发现',
  notifications: '通知', documents: '文件', live: '实时更新已连接', liveLost: '实时更新已断开，正在重连…',
  updated: '要求已更新', noObligations: '当前没有约束本企业的要求（无已备案清单或清单中无本企业）。',
  noFindings: '暂无核查发现。', noAlerts: '本区暂无预警。',
  explain: '异常申报', explainHint: '说明原因（如停电检修、设备故障），提交后由核查人员审核。',
  submit: '提交', explained: '已提交异常申报', evidence: '证据', back: '返回',
  noNotifications: '暂无通知。预警发布、调整、解除或清单变化使本企业要求改变时，通知会显示在这里，并同时按联系方式发送邮件或推送。',
  read: '已读', unread: '未读', markRead: '标记为已读',
  documentsPending: '本企业暂无已备案的清单；清单备案后，告知书和一厂一策在此下载。',
  noticePdf: '下载告知书（PDF）', planPdf: '下载一厂一策（PDF）', documentsFrom: '依据已备案清单',
  otherRole: '此角色没有网页工作台（系统服务账户请使用命令行或 API）。',
};

export function measure(o) {
  const name = ACTION[o.action] || o.action;
  if ((o.action === 'LIMIT' || o.action === 'CAP' || o.action === 'STOP_LINES') && o.percent) {
    return `${name} ${o.percent}%`;
  }
  return name;
}

const CHINA = 'Asia/Shanghai';
// resourceText: a resource name as people read it, the kind in Chinese and
// its id ("电表 m1"), for places where no display name travels with it.
const RESOURCE_KIND = {
  meters: '电表', cameras: '门禁摄像头', monitoringPoints: '排放口', lines: '生产线',
  processes: '工序', equipment: '设备', productionLedgers: '生产台账', enterprises: '企业',
  lists: '清单', alerts: '预警', findings: '核查发现',
};
export function resourceText(name, enterpriseName) {
  const parts = String(name || '').split('/');
  if (parts.length < 2) return name || '';
  const kind = parts[parts.length - 2], id = parts[parts.length - 1];
  if (kind === 'enterprises' && enterpriseName) return enterpriseName;
  return RESOURCE_KIND[kind] ? `${RESOURCE_KIND[kind]} ${id}` : id;
}

export function chinaTime(ts, withDate = true) {
  if (!ts) return '';
  const d = new Date(ts);
  const opt = { timeZone: CHINA, hour: '2-digit', minute: '2-digit', hour12: false };
  if (withDate) Object.assign(opt, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return new Intl.DateTimeFormat('zh-CN', opt).format(d);
}

// The registry's choices (the enum codes of registry.proto) in Chinese.
export const INDUSTRY = {
  BUILDING_MATERIALS: '建材', FOUNDRY: '铸造', CHEMICALS: '化工', STEEL: '钢铁', COKING: '焦化',
  NONFERROUS: '有色', PHARMACEUTICALS: '制药', FURNITURE: '家具', PRINTING: '印刷',
  SURFACE_COATING: '工业涂装', RUBBER_PLASTICS: '橡胶塑料', FOOD: '食品', ENERGY_HEATING: '热力供应',
  WASTE_TREATMENT: '废物处置', OTHER_INDUSTRY: '其他',
};
export const PERMIT = {
  PERMIT_VALID: '已发证', PERMIT_EXPIRED: '已过期', PERMIT_NONE: '未发证', PERMIT_NOT_REQUIRED: '无需发证（登记管理）',
};
export const GRADE = {
  GRADE_A: 'A级', GRADE_LEADING: '引领性', GRADE_B: 'B级', GRADE_C: 'C级', GRADE_D: 'D级',
  GRADE_LIVELIHOOD: '保障类', UNGRADED: '未分级',
};
export const EQUIPMENT_TYPE = {
  KILN: '工业炉窑', CUPOLA: '冲天炉', INDUCTION_FURNACE: '中频炉', BOILER: '锅炉', DRYER: '烘干机',
  COATING_LINE: '涂装线', REACTOR: '反应釜', STORAGE_TANK: '储罐', CRUSHER: '破碎机', MIXER: '搅拌机',
  PRINTING_PRESS: '印刷机', OTHER_EQUIPMENT: '其他',
};
export const KILN_TYPE = {
  SMELTING_FURNACE: '熔炼炉', MELTING_FURNACE: '熔化炉', ROASTING_KILN: '焙(煅)烧炉(窑)', HEATING_FURNACE: '加热炉',
  HEAT_TREATMENT: '热处理炉', DRYING_KILN: '干燥炉(窑)', COKE_OVEN: '焦炉', GAS_PRODUCER: '煤气发生炉', OTHER_KILN: '其他炉窑',
};
export const FUEL = {
  COAL: '煤', NATURAL_GAS: '天然气', ELECTRICITY: '电', BIOMASS: '生物质', PETROLEUM_COKE: '石油焦',
  HEAVY_OIL: '重油', DIESEL: '柴油', GASOLINE: '汽油', LPG: '液化石油气', COAL_GAS: '煤气', NO_FUEL: '无燃料',
};
export const DUST = {
  NO_DUST_CONTROL: '无', GRAVITY_SETTLING: '重力沉降室', CYCLONE: '旋风除尘', MULTI_TUBE: '多管除尘',
  WATER_FILM: '水膜除尘', BIO_DUST_SUPPRESSION: '生物降尘', BAGHOUSE: '袋式除尘', ELECTROSTATIC: '静电除尘',
  WET_ELECTROSTATIC: '湿式电除尘', ELECTRO_BAG: '电袋复合',
};
export const DESULF = {
  NO_DESULFURIZATION: '无', WATER_WASHING: '水洗', SIMPLE_ALKALI: '简易碱法', SIMPLE_AMMONIA: '简易氨法',
  BIOLOGICAL_DESULFURIZATION: '生物脱硫', LIMESTONE_GYPSUM: '石灰石-石膏法', SEMI_DRY: '半干法',
  SDS_DRY: 'SDS干法', DOUBLE_ALKALI: '双碱法',
};
export const METER_ROLE = { PRODUCTION: '生产用电', TREATMENT: '治污设施用电', TOTAL: '总表' };
export const DIRECTION = { ENTRY: '入口', EXIT: '出口', BOTH: '出入口' };
export const STAGE = {
  CHINA_0: '国0', CHINA_1: '国I', CHINA_2: '国II', CHINA_3: '国III', CHINA_4: '国IV', CHINA_5: '国V',
  CHINA_6: '国VI', ELECTRIC: '电动',
};
export const VEHICLE_CLASS = {
  HEAVY_GOODS: '重型载货车', MEDIUM_GOODS: '中型载货车', LIGHT_GOODS: '轻型载货车', PASSENGER: '客车',
  NON_ROAD: '非道路移动机械',
};
export const PURPOSE = {
  SAFE_OPERATION: '保障安全生产运行', LIVELIHOOD: '民生保障', SPECIAL_DEMAND: '特殊需求产品', PORT_SERVICE: '港口集疏运',
};
export const RETROFIT = {
  EMISSION_CONTROL: '治污设施提标改造', VOC_TREATMENT: 'VOCs治理', KILN_UPGRADE: '工业炉窑治理',
  BOILER_REPLACEMENT: '锅炉改燃/淘汰', CEMS_INSTALLATION: '在线监测安装', FUEL_SWITCH: '清洁能源替代',
  DUST_SUPPRESSION: '无组织排放治理', OTHER_RETROFIT: '其他',
};
export const POLLUTANT = { PM: '颗粒物', SO2: '二氧化硫', NOX: '氮氧化物', VOCS: '挥发性有机物' };
export const LIST_STATE = { DRAFT: '草稿', SUBMITTED: '已报送待确认', FILED: '已备案', SUPERSEDED: '已被修订取代' };
export const ENTRY_KIND = { RESTRICTED: '管控', EXEMPT: '豁免', GUARANTEED: '民生保障', DATA_MISSING: '数据缺失待补' };
export const CHANGE = { ADDED: '新增', REMOVED: '删除', MEASURE_CHANGED: '措施变化', REASON_CHANGED: '依据变化' };
export const UNVERIFIED = {
  NO_METER: '无电表计量该设施', METER_NEVER_REPORTED: '电表从未上报数据', NO_BASELINE: '电表无本季基准负荷',
  CLOCK_OFFSET: '电表时钟疑似整点偏差', COVERING_METER_UNSOUND: '仅有总表且无额定功率可分摊',
};
export const IMPORT_KIND = {
  townships: '镇乡', enterprises: '企业', lines: '生产线', processes: '工序', equipment: '设备', meters: '电表',
  monitoring_points: '排放口', cameras: '门禁摄像头', vehicles: '车辆', whitelist: '白名单', whitelist_entries: '白名单',
  retrofit_tasks: '治理改造任务', emission_totals: '排放清单总量',
};
export const W = {
  registry: '企业名录', lists: '清单与备案', verification: '核查', city: '全市概况', alerts: '预警发布',
  search: '搜索企业名称', township: '镇乡', industry: '行业', grade: '绩效分级', permit: '排污许可',
  restricted: '限制类', overcapacity: '产能过剩', all: '全部', yes: '是', no: '否',
  prev: '上一页', next: '下一页', page: '第 {n} 页', refused: '无权查看或无此数据',
  import: '导入名录（XLSX 工作簿）', dryRun: '试导入（只检查，不写入）', doImport: '正式导入',
  downloadWorkbook: '下载名录工作簿', noEnterprises: '没有符合条件的企业。',
};
// A value of an enum map, or the code itself when the map has none ('' for unset).
export function label(map, code) {
  if (!code || /_UNSPECIFIED$/.test(code)) return '';
  return map[code] || code;
}
export function yesNo(b) {
  if (b === undefined || b === null) return '未填';
  return b ? '是' : '否';
}

// The Chinese lead sentence of a refusal, by the gRPC status the gateway
// passes on (and by its ErrorInfo reason where one says more).
export const ERROR_LEAD = {
  INVALID_ARGUMENT: '输入有误', FAILED_PRECONDITION: '当前状态不允许此操作', OUT_OF_RANGE: '超出允许范围',
  UNAUTHENTICATED: '未登录或会话已结束，请重新登录', PERMISSION_DENIED: '无权访问', NOT_FOUND: '未找到所请求的数据',
  ALREADY_EXISTS: '已存在', ABORTED: '与他人同时修改发生冲突，请刷新后重试', RESOURCE_EXHAUSTED: '请求过多或超出限额，请稍后再试',
  UNAVAILABLE: '服务暂时不可用，请稍后再试', DEADLINE_EXCEEDED: '处理超时', CANCELLED: '请求已取消',
  UNIMPLEMENTED: '不支持此操作', INTERNAL: '服务器内部错误', UNKNOWN: '服务器内部错误', DATA_LOSS: '服务器内部错误',
};
export const ERROR_REASON = {
  ALERT_NOT_IN_FORCE: '该预警已不在生效期', NO_CHANGE: '没有需要改变的内容',
};
// By HTTP status, when the answer carried no gRPC status (a proxy's 502).
export const HTTP_LEAD = {
  400: '输入有误', 401: '未登录或会话已结束，请重新登录', 403: '无权访问', 404: '未找到所请求的数据',
  409: '与他人同时修改发生冲突，请刷新后重试', 429: '请求过多，请稍后再试', 500: '服务器内部错误',
  502: '服务暂时不可用，请稍后再试', 503: '服务暂时不可用，请稍后再试', 504: '处理超时',
};
// The steps of a verification run (VerificationProgress.step).
export const RUN_STEP = {
  OBLIGATIONS: '读取约束时段与规则集', REGISTRY: '读取名录（电表、摄像头、车辆）', BASELINES: '计算基准负荷',
  READINGS: '读取电表读数', METERS: '逐表比对约束时段', CEMS: '核查在线监测数据', GATES: '核查过车与台账',
  STORING: '保存核查结果', DONE: '完成',
};
export const RUN_STATE = { RUNNING: '运行中', SUCCEEDED: '已完成', FAILED: '失败' };
