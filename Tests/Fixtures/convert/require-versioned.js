function (user, context, callback) {
  const greet = require('tiny-greeter@1.0.0');
  context.idToken['https://example.com/greeting'] = greet(user.given_name);
  callback(null, user, context);
}
