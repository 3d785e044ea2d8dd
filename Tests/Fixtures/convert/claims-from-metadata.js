function (user, context, callback) {
  // Copy a few profile facts into the ID token, namespaced as Auth0 requires.
  const namespace = 'https://myapp.example.com/';
  user.user_metadata = user.user_metadata || {};
  user.app_metadata = user.app_metadata || {};
  context.idToken[namespace + 'plan'] = user.app_metadata.plan || 'free';
  context.idToken[namespace + 'locale'] = user.user_metadata.locale;
  context.idToken[`${namespace}logins`] = context.stats.loginsCount;
  context.idToken[namespace + 'client'] = { id: context.clientID, name: context.clientName };
  if (context.connectionStrategy === 'auth0') {
    context.idToken[namespace + 'connection'] = context.connection;
  }
  return callback(null, user, context);
}
