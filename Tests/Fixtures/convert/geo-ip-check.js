function blockByLocation(user, context, callback) {
  const blockedCountries = ['KP', 'IR'];
  const officeRanges = ['203.0.113.'];
  const country = context.request.geoip && context.request.geoip.country_code;
  if (blockedCountries.indexOf(country) !== -1) {
    return callback(new UnauthorizedError('Sign-in from ' + context.request.geoip.country_name + ' is not allowed.'));
  }
  const fromOffice = officeRanges.some((prefix) => context.request.ip.indexOf(prefix) === 0);
  context.idToken['https://example.com/from_office'] = fromOffice;
  context.idToken['https://example.com/city'] = context.request.geoip.city_name;
  context.idToken['https://example.com/agent'] = context.request.userAgent;
  callback(null, user, context);
}
