function (user, context, callback) {
  global.seen = global.seen || {};
  global.seen[user.user_id] = Date.now();
  const linked = context.sso.current_clients;
  if (context.idToken['https://example.com/x']) {
    delete context.idToken['https://example.com/x'];
  }
  auth0.users.getByEmail(user.email).then(() => callback(null, user, context));
}
