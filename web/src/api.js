// The JSON API of cuofeng-web. Every change carries the CSRF token; errors
// come back as {error: {code, status, message, details}}.
import { ERROR_LEAD, ERROR_REASON, HTTP_LEAD } from './text.js';

let csrf = '';

// Its message is what the pages show: a Chinese lead sentence from the
// status (or the ErrorInfo reason), the server's own message, and each field
// violation on a line of its own ("字段 season.start：…").
export class ApiError extends Error {
  constructor(error) {
    super(error.message || error.status || '');
    this.status = error.status;
    this.code = error.code;
    this.details = error.details || [];
    this.serverMessage = error.message || '';
    this.message = describe(this);
  }
  get reason() {
    const info = this.details.find((d) => (d['@type'] || '').endsWith('ErrorInfo'));
    return info ? info.reason : '';
  }
  get fieldViolations() {
    const bad = this.details.find((d) => (d['@type'] || '').endsWith('BadRequest'));
    return bad ? bad.fieldViolations || [] : [];
  }
}

function describe(e) {
  const lead = ERROR_REASON[e.reason] || ERROR_LEAD[e.status] || HTTP_LEAD[e.code] || '操作失败';
  const fields = e.fieldViolations.map((f) => `\n· 字段 ${f.field}：${f.description}`);
  // A refusal's message often repeats its violations: they are listed below instead.
  const repeats = e.fieldViolations.length && e.fieldViolations.every((f) => e.serverMessage.includes(f.description));
  const said = e.serverMessage && !repeats && !e.serverMessage.startsWith(lead) ? `：${e.serverMessage}` : '';
  return `${lead}${said}${fields.join('')}`;
}

async function send(path, method, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({ error: { code: res.status, message: `HTTP ${res.status}` } }));
  if (!res.ok) throw new ApiError(data.error || { code: res.status, message: `HTTP ${res.status}` });
  return data;
}

export async function login(username, password) {
  const r = await send('/api/login', 'POST', { username, password });
  csrf = r.csrfToken;
  return r;
}
export async function changePassword(username, oldPassword, newPassword) {
  const r = await send('/api/change-password', 'POST', { username, oldPassword, newPassword });
  csrf = r.csrfToken;
  return r;
}
export async function session() {
  const r = await send('/api/session', 'GET');
  csrf = r.csrfToken;
  return r.caller;
}
export async function logout() {
  await send('/api/logout', 'POST', {});
  csrf = '';
}
// call('ObligationService', 'GetObligations', {enterprise}) → the response message.
export function call(service, method, request = {}) {
  return send(`/api/v1/${service}/${method}`, 'POST', request);
}
export function watchObligations(enterprise) {
  return new EventSource(`/api/v1/watch/obligations?enterprise=${encodeURIComponent(enterprise)}`);
}
// postFile(path, file): POSTs a file's bytes as they are (the registry
// workbook to /api/import/registry); a refusal keeps the whole answer in
// `error.body` (the import adds each sheet's header cells).
export async function postFile(path, file, contentType) {
  const headers = { 'X-CSRF-Token': csrf };
  // FormData sets its own multipart Content-Type with the boundary.
  if (contentType) headers['Content-Type'] = contentType;
  const res = await fetch(path, { method: 'POST', credentials: 'same-origin', body: file, headers });
  const data = await res.json().catch(() => ({ error: { code: res.status, message: `HTTP ${res.status}` } }));
  if (!res.ok) {
    const e = new ApiError(data.error || { code: res.status, message: `HTTP ${res.status}` });
    e.body = data;
    throw e;
  }
  return data;
}
