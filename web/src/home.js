// Where a signed-in person lands: an enterprise on its own page, a bureau on
// its district's registry, a verifier on its district's findings, the city
// (and the admin) on the overview of every district.
export function homeOf(caller) {
  const district = (caller.scope || '').match(/^districts\/[^/]+/);
  if (caller.role === 'ENTERPRISE' && caller.scope) return `/${caller.scope}`;
  if (caller.role === 'BUREAU' && district) return `/${district[0]}/registry`;
  if (caller.role === 'VERIFIER' && district) return `/${district[0]}/verification`;
  if (caller.role === 'CITY' || caller.role === 'ADMIN') return '/city';
  return '/';
}
