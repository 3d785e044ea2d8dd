function guardianMultifactor(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // Only applications that ask for it, and only once per session.
  const requiresMfa = context.clientMetadata && context.clientMetadata.require_mfa === 'true';
  const completedMfa = !!(context.authentication && context.authentication.methods || []).find((m) => m.name === 'mfa');
  if (requiresMfa && !completedMfa) {
    context.multifactor = {
      provider: 'any',
      allowRememberBrowser: false,
    };
  }
  callback(null, user, context);
}
