function (user, context, callback) {
  // Looks up the user's plan asynchronously, then persists it and adds it to the token.
  const lookupPlan = (email) => new Promise((resolve) => {
    setTimeout(() => resolve(email.endsWith('@example.com') ? 'enterprise' : 'free'), 5);
  });

  user.app_metadata = user.app_metadata || {};
  lookupPlan(user.email)
    .then((plan) => {
      user.app_metadata.plan = plan;
      return auth0.users.updateAppMetadata(user.user_id, user.app_metadata);
    })
    .then(() => {
      context.idToken['https://example.com/plan'] = user.app_metadata.plan;
      callback(null, user, context);
    })
    .catch((err) => {
      callback(err);
    });
}
