'use strict';
// Functions a converted action may need, added after its handler only when it uses them.

const HELPERS = {
  setAccessTokenScopes: `// Rules set context.accessToken.scope to the token's whole scope list; Actions add and remove scopes.
function setAccessTokenScopes(event, api, scope) {
  const wanted = Array.isArray(scope) ? scope : String(scope).split(' ').filter(Boolean);
  const requested = event.transaction?.requested_scopes ?? [];
  for (const name of wanted) if (!requested.includes(name)) api.accessToken.addScope(name);
  for (const name of requested) if (!wanted.includes(name)) api.accessToken.removeScope(name);
}`,
  enableMultifactor: `// Rules' context.multifactor = {provider, allowRememberBrowser}.
function enableMultifactor(api, multifactor) {
  if (multifactor && multifactor.provider !== undefined) {
    api.multifactor.enable(String(multifactor.provider), { allowRememberBrowser: multifactor.allowRememberBrowser === true });
  }
}`,
};

module.exports = { HELPERS };
