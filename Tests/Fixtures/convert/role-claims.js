function roleClaims(user, context, callback) {
  const role = user.app_metadata.role;
  context.idToken['https://example.com/role'] = role;
  context.idToken['https://example.com/employee'] = context.isEmployee === true;
  callback(null, user, context);
}
