// Where a signed-in person lands: an enterprise on its own page.
export function homeOf(caller) {
  if (caller.role === 'ENTERPRISE' && caller.scope) return `/${caller.scope}`;
  return '/';
}
