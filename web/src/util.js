// Helpers the workspaces share: request ids, reading every page of a List,
// downloading a rendered document, and an error's text.
import { call } from './api.js';

export function requestId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Every page of a List method: `field` names the repeated field of the answer.
export async function listAll(service, method, request, field, limit = 20000) {
  const out = [];
  let pageToken = '';
  do {
    const r = await call(service, method, { ...request, pageSize: 1000, pageToken });
    out.push(...(r[field] || []));
    pageToken = r.nextPageToken || '';
  } while (pageToken && out.length < limit);
  return out;
}

// A Document (bytes as base64 in the JSON) saved by the browser under its
// suggested file name.
export function saveDocument(doc) {
  const bin = atob(doc.content || '');
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: doc.mediaType || 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = doc.fileName || 'document';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The text of an error: an ApiError's message already leads with a Chinese
// sentence and lists its field violations (api.js).
export function errorText(e) {
  return (e && e.message) || String(e);
}

export const districtOf = (name) => (name || '').split('/').slice(0, 2).join('/');
export const lastSegment = (name) => (name || '').split('/').pop();

// A date-time picker's value (local) as an RFC 3339 time in China (UTC+8).
export function chinaIso(value) {
  return new Date(value).toISOString();
}
