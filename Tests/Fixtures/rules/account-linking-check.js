function (user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);

  // Linking accounts by e-mail is only safe when the e-mail is verified.
  const identities = user.identities || [];
  if (identities.length > 1 && !user.email_verified) {
    return callback(new UnauthorizedError('Verify your e-mail address before linking accounts.'));
  }
  context.idToken['https://gatehouse.example/linked'] = identities.length > 1;
  context.idToken['https://gatehouse.example/primary_connection'] = identities.length > 0 ? identities[0].connection : null;
  callback(null, user, context);
}
