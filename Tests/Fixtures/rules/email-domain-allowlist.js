function emailDomainWhitelist(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // Access should only be granted to verified users from the allowed domains.
  if (!user.email || !user.email_verified) {
    return callback(new UnauthorizedError('Access denied: verify your e-mail address first.'));
  }
  const whitelist = configuration.ALLOWED_DOMAINS.split(',').map((d) => d.trim().toLowerCase());
  const domain = user.email.split('@')[1].toLowerCase();
  const userHasAccess = whitelist.some((allowed) => domain === allowed);
  if (!userHasAccess) {
    return callback(new UnauthorizedError('Access denied: ' + domain + ' is not an allowed domain.'));
  }
  return callback(null, user, context);
}
