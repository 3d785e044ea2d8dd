function (user, context, callback) {
  const crypto = require('crypto');
  // A per-user value the API can check, keyed with a secret from the rules' configuration.
  const digest = crypto.createHmac('sha256', configuration.API_SIGNING_KEY).update(user.user_id).digest('base64');
  context.accessToken['https://api.example.com/user_signature'] = digest;
  if (context.clientID === configuration['INTERNAL_CLIENT_ID']) {
    context.accessToken['https://api.example.com/internal'] = true;
  }
  callback(null, user, context);
}
