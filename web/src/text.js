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
  documentsPending: '告知书、一厂一策等文件将在区工信委生成后在此提供下载。',
  otherRole: '企业页面之外的工作台（区工信委、核查人员、市级）尚在建设中。',
};

export function measure(o) {
  const name = ACTION[o.action] || o.action;
  if ((o.action === 'LIMIT' || o.action === 'CAP' || o.action === 'STOP_LINES') && o.percent) {
    return `${name} ${o.percent}%`;
  }
  return name;
}

const CHINA = 'Asia/Shanghai';
export function chinaTime(ts, withDate = true) {
  if (!ts) return '';
  const d = new Date(ts);
  const opt = { timeZone: CHINA, hour: '2-digit', minute: '2-digit', hour12: false };
  if (withDate) Object.assign(opt, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return new Intl.DateTimeFormat('zh-CN', opt).format(d);
}
