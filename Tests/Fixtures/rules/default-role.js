function defaultRole(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // Give every user a role for this login only: the next rule reads it, nothing is saved.
  user.app_metadata = user.app_metadata || {};
  if (!user.app_metadata.roles || user.app_metadata.roles.length === 0) {
    user.app_metadata.roles = ['reader'];
  }
  callback(null, user, context);
}
