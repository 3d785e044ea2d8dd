function trackLogins(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // A per-worker counter kept in `global`, as rules used it for caches.
  global.gatehouseRuleRuns = (global.gatehouseRuleRuns || 0) + 1;
  context.idToken['https://gatehouse.example/worker_runs'] = global.gatehouseRuleRuns;

  user.app_metadata = user.app_metadata || {};
  user.app_metadata.rule_logins = (user.app_metadata.rule_logins || 0) + 1;
  user.app_metadata.last_ip = context.request.ip;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () { callback(null, user, context); })
    .catch(function (err) { callback(err); });
}
