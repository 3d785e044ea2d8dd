function addRolesToTokens(user, context, callback) {
  const namespace = 'https://example.com/';
  const assignedRoles = (context.authorization || {}).roles;
  context.idToken[namespace + 'roles'] = assignedRoles;
  context.accessToken[namespace + 'roles'] = assignedRoles;
  callback(null, user, context);
}
