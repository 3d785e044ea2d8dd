function redirectToConsentForm(user, context, callback) {
  const clients = (configuration.RULES_CLIENTS || '').split(',');
  if (clients.indexOf(context.clientID) === -1) return callback(null, user, context);
  const crypto = require('crypto');
  const sign = (payload) => crypto.createHmac('sha256', configuration.CONSENT_SECRET).update(payload).digest('hex');

  user.user_metadata = user.user_metadata || {};
  if (context.protocol === 'redirect-callback') {
    // Back from the consent form: it echoes our token and adds the person's answer.
    const params = Object.assign({}, context.request.query, context.request.body);
    const expected = sign(user.user_id + '|' + params.nonce);
    if (params.signature !== expected) {
      return callback(new UnauthorizedError('The consent answer was not signed by us.'));
    }
    if (params.confirm !== 'yes') {
      return callback(new UnauthorizedError('You must accept the terms to continue.'));
    }
    user.user_metadata.consent_given = true;
    auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
      .then(function () {
        context.idToken['https://gatehouse.example/consent'] = true;
        callback(null, user, context);
      })
      .catch(function (err) { callback(err); });
    return;
  }
  if (user.user_metadata.consent_given) {
    context.idToken['https://gatehouse.example/consent'] = true;
    return callback(null, user, context);
  }
  const nonce = crypto.randomBytes(8).toString('hex');
  context.redirect = {
    url: configuration.CONSENT_URL + '?nonce=' + nonce + '&signature=' + sign(user.user_id + '|' + nonce),
  };
  return callback(null, user, context);
}
