module.exports = function (user, context, cb) {
  var response = {};
  response.user = { user_metadata: { signup_language: context.requestLanguage || 'en' }, app_metadata: { plan: 'trial' } };
  if ((user.email || '').endsWith('@blocked.example')) {
    return cb(new PreUserRegistrationError('Denied user registration in Pre-User Registration Hook', 'You cannot sign up with this address.'));
  }
  cb(null, response);
};
