/* Sends users who have not accepted the terms to the terms page, with a signed ticket, and
   records their acceptance when they come back with a signed answer. */
function redirectToTerms(user, context, callback) {
  const crypto = require('crypto');
  const sign = (value) => crypto.createHmac('sha256', configuration.TERMS_SECRET).update(value).digest('hex');

  if (context.protocol === 'redirect-callback') {
    const token = context.request.query.session_token || (context.request.body || {}).session_token;
    if (!token || token !== sign(user.user_id + ':accepted')) {
      return callback(new UnauthorizedError('The terms of service were not accepted.'));
    }
    user.app_metadata = user.app_metadata || {};
    user.app_metadata.terms_accepted = true;
    return auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
      .then(() => callback(null, user, context))
      .catch((err) => callback(err));
  }

  if (user.app_metadata && user.app_metadata.terms_accepted) {
    return callback(null, user, context);
  }
  const ticket = sign(user.user_id + ':pending');
  context.redirect = {
    url: `https://terms.example.com/accept?ticket=${ticket}&client=${encodeURIComponent(context.clientName)}`
  };
  return callback(null, user, context);
}
