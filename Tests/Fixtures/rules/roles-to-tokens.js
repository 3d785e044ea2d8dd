function (user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  const namespace = 'https://gatehouse.example/';
  const assigned = (context.authorization || {}).roles || [];
  const fromMetadata = (user.app_metadata || {}).roles || [];
  const roles = assigned.concat(fromMetadata).filter((role, i, all) => all.indexOf(role) === i);
  context.idToken[namespace + 'roles'] = roles;
  context.accessToken[namespace + 'roles'] = roles;
  if (user.user_metadata && user.user_metadata.preferred_language) {
    context.idToken[namespace + 'language'] = user.user_metadata.preferred_language;
  }
  context.idToken[namespace + 'logins'] = context.stats.loginsCount;
  callback(null, user, context);
}
