function requireMfaForAdmins(user, context, callback) {
  const CLIENTS_WITH_MFA = ['AaiyAPdpYdesoKnqjj8HJqRn4T5titww'];
  const roles = context.authorization.roles;
  // Admins, and everyone on the listed applications, get a second factor.
  if (CLIENTS_WITH_MFA.indexOf(context.clientID) !== -1 || roles.includes('admin')) {
    context.multifactor = {
      provider: 'any',
      allowRememberBrowser: false
    };
  }
  callback(null, user, context);
}
