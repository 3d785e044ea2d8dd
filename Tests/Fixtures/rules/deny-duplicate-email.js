function denyDuplicateEmail(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // One account per e-mail address: refuse a login when another account already uses it.
  if (!user.email) return callback(null, user, context);
  auth0.users.getUsersByEmail(user.email, function (err, users) {
    if (err) return callback(err);
    const others = users.filter(function (u) { return u.user_id !== user.user_id; });
    if (others.length > 0) {
      return callback(new UnauthorizedError('Another account already uses ' + user.email + '.'));
    }
    context.idToken['https://gatehouse.example/accounts_with_email'] = users.length;
    callback(null, user, context);
  });
}
