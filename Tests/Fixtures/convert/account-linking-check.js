function checkLinkedAccounts(user, context, callback) {
  // An unverified address must not reach an account that other identities were linked to.
  const identities = user.identities || [];
  if (identities.length > 1 && !user.email_verified) {
    return callback(new UnauthorizedError('Verify your email address before signing in to a linked account.'));
  }
  const providers = identities.map(function (identity) { return identity.provider; });
  context.idToken['https://example.com/providers'] = providers;
  context.idToken['https://example.com/linked'] = identities.length > 1;
  callback(null, user, context);
}
