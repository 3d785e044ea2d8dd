function setDefaultRole(user, context, callback) {
  // Every user has a role for the rules after this one; it is not stored.
  user.app_metadata = user.app_metadata || {};
  user.app_metadata.role = user.app_metadata.role || 'member';
  context.isEmployee = (user.email || '').endsWith('@example.com');
  callback(null, user, context);
}
